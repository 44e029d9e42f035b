import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Express } from 'express';
import { createObservability, type Observability, type ObservabilityOptions } from '../../middleware';
import { captureLogs, type LogCapture, type LogLine } from '../../src/testing';

export interface ObservedApp {
  readonly app: Express;
  readonly obs: Observability;
  readonly logs: LogCapture;
}

/**
 * A real Express 5 app wired as the README shows: sightline first, a JSON body parser,
 * the routes, then the JSON 404 and error handler. Log lines are captured in memory.
 */
export function observedApp(
  routes: (app: Express, obs: Observability) => void,
  options: ObservabilityOptions = {},
): ObservedApp {
  const logs = captureLogs();
  const obs = createObservability({
    service: 'test-service',
    version: '1.2.3',
    environment: {},
    ...options,
    logger: { transports: [logs], ...options.logger },
  });
  const app = express();
  app.use(obs.middleware());
  app.use(express.json({ limit: '10kb' }));
  routes(app, obs);
  app.use(obs.notFound());
  app.use(obs.errorHandler());
  return { app, obs, logs };
}

/** `request completed` is written when the response finishes, which can trail the client by a tick. */
export async function waitForLines(
  logs: LogCapture,
  predicate: (line: LogLine) => boolean,
  count = 1,
  timeoutMs = 2000,
): Promise<LogLine[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = logs.lines.filter(predicate);
    if (found.length >= count) return found;
    if (Date.now() > deadline) {
      throw new Error(`expected ${count} matching log lines, found ${found.length}:\n${JSON.stringify(logs.lines, null, 1)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function completedLine(logs: LogCapture, requestId: string): Promise<LogLine> {
  return waitForLines(logs, (l) => l.message === 'request completed' && l.request_id === requestId).then(
    (lines) => lines[0] as LogLine,
  );
}

export async function listen(app: Express): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
