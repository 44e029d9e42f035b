import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createCompetitorApp, type CompetitorApp, type CompetitorAppOptions } from '../../competitor/app';
import { nodeCommand } from '../../competitor/sandbox/pool';
import { captureLogs, type LogCapture } from '../../src/testing';

export interface RunningCompetitor extends CompetitorApp {
  readonly url: string;
  readonly logs: LogCapture;
  /** JSON log lines of the sandbox children, parsed. */
  readonly childLines: Record<string, unknown>[];
  stop(): Promise<void>;
}

export const ADMIN_TOKEN = 'competitor-test-admin-token-0123456789';

/** A sandbox child program from test/fixtures/sandbox. */
export function fixtureSandbox(name: string): ReturnType<typeof nodeCommand> {
  return nodeCommand(path.join(__dirname, '..', 'fixtures', 'sandbox', name));
}

/** A real competitor on an ephemeral loopback port, its log lines captured. */
export async function startCompetitor(
  environment: Readonly<Record<string, string>> = {},
  options: Omit<CompetitorAppOptions, 'environment' | 'logger' | 'childLog'> = {},
): Promise<RunningCompetitor> {
  const logs = captureLogs();
  const childLines: Record<string, unknown>[] = [];
  const competitor = createCompetitorApp({
    ...options,
    environment: { COMPETITOR_PROFILE: 'fast', OBS_ADMIN_TOKEN: ADMIN_TOKEN, ...environment },
    logger: { transports: [logs] },
    childLog: (line) => childLines.push(JSON.parse(line) as Record<string, unknown>),
  });
  const server: Server = competitor.app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    ...competitor,
    url: `http://127.0.0.1:${port}`,
    logs,
    childLines,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await competitor.close();
    },
  };
}

/** Reads an SSE body into its frames: data payloads and comment lines, in order. */
export function sseFrames(body: string): { data: string[]; comments: string[] } {
  const data: string[] = [];
  const comments: string[] = [];
  for (const frame of body.split('\n\n')) {
    for (const line of frame.split('\n')) {
      if (line.startsWith('data: ')) data.push(line.slice(6));
      else if (line.startsWith(':')) comments.push(line);
    }
  }
  return { data, comments };
}
