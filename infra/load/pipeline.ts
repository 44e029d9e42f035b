import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { ProfileName } from '../../competitor/model/profiles';
import { startService, stopServices, waitUntilReady, type LauncherOutput, type RunningService, type ServiceSpec } from '../../scripts/launcher';
import { freePort } from '../../scripts/pipeline';

/** The gateway and one competitor this tool started for a run. */
export interface OwnPipeline {
  readonly url: string;
  readonly gatewayPid: number;
  readonly competitorPid: number;
  readonly logFile: string;
  /** Stops both and closes the log file; idempotent. */
  stop(): Promise<void>;
}

export interface PipelineOptions {
  /** The competitor's id, which is the model requests name. */
  readonly model: string;
  readonly profile: ProfileName;
  /** Every line the services write goes here, none to this process's stdout. */
  readonly logFile: string;
  /** LOG_LEVEL of both services; undefined keeps their default. */
  readonly logLevel: string | undefined;
  readonly readyTimeoutMs?: number;
}

const HOST = '127.0.0.1';
const STOP_GRACE_MS = 5000;
/** Variables that change what a service does; the tool sets the ones it wants itself. */
const CLEARED_PREFIXES = ['OTEL_', 'OBS_', 'LOG_', 'GATEWAY_', 'COMPETITOR_', 'SANDBOX_', 'SESSION_', 'WORKER_', 'NODE_OPTIONS', 'PORT', 'CHUTES_'];

/** This file runs as infra/load/pipeline.ts (tests) or dist/infra/load/pipeline.js; the services sit beside it. */
const extension = path.extname(__filename);
const root = path.resolve(__dirname, '..', '..');
const entry = (app: string): string => path.join(root, app, `server${extension}`);

function cleanEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !CLEARED_PREFIXES.some((prefix) => name.startsWith(prefix))) env[name] = value;
  }
  return env;
}

function fileOutput(stream: WriteStream): LauncherOutput {
  return {
    line: (text) => stream.write(`${text}\n`),
    note: (fields) => stream.write(`${JSON.stringify({ timestamp: new Date().toISOString(), service: 'load', ...fields })}\n`),
  };
}

/**
 * Starts a competitor (`COMPETITOR_ID` = the model, the given profile) and a gateway routing
 * to it, on free loopback ports, with the launcher `npm start` uses. Their log lines go to
 * `logFile`. Rejects, having stopped whatever started, if either is not ready in time.
 */
export async function startOwnPipeline(options: PipelineOptions): Promise<OwnPipeline> {
  const { model, profile, logFile, logLevel, readyTimeoutMs = 60_000 } = options;
  const log = createWriteStream(logFile, { flags: 'a' });
  await new Promise<void>((resolve, reject) => {
    log.once('open', () => resolve());
    log.once('error', reject);
  });
  const output = fileOutput(log);
  const [competitorPort, gatewayPort] = [await freePort(), await freePort()];
  const shared: Record<string, string> = {
    // Neither the tool nor anyone else reads /metrics of these services; the token only has to be valid.
    OBS_ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    OBS_SHUTDOWN_DRAIN_DELAY_MS: '0',
    OBS_SHUTDOWN_GRACE_PERIOD_MS: '2000',
    NODE_ENV: 'production',
    ...(logLevel === undefined ? {} : { LOG_LEVEL: logLevel }),
  };
  const competitor: ServiceSpec = {
    name: `competitor-${model}`,
    script: entry('competitor'),
    env: { ...shared, PORT: String(competitorPort), COMPETITOR_HOST: HOST, COMPETITOR_ID: model, COMPETITOR_PROFILE: profile },
    readyUrl: `http://${HOST}:${competitorPort}/health/ready`,
  };
  const gateway: ServiceSpec = {
    name: 'gateway',
    script: entry('gateway'),
    env: { ...shared, PORT: String(gatewayPort), GATEWAY_HOST: HOST, GATEWAY_COMPETITORS: `${model}=http://${HOST}:${competitorPort}` },
    readyUrl: `http://${HOST}:${gatewayPort}/health/ready`,
  };
  const services: RunningService[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= stopServices(services, STOP_GRACE_MS).then(() => new Promise<void>((resolve) => log.end(resolve)));
    return stopping;
  };
  const base = cleanEnvironment();
  try {
    for (const spec of [competitor, gateway]) {
      const service = startService(spec, output, base);
      services.push(service);
      await waitUntilReady(service, spec.readyUrl, readyTimeoutMs);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `http://${HOST}:${gatewayPort}`, gatewayPid: services[1]!.child.pid!, competitorPid: services[0]!.child.pid!, logFile, stop };
}
