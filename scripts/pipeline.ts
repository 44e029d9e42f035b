import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { startService, waitUntilReady, type LauncherOutput, type RunningService, type ServiceSpec } from './launcher';

/** The competitors `npm start` runs, in port order after the gateway's. */
export const PIPELINE_COMPETITORS = [
  { id: 'baseline', profile: 'baseline' },
  { id: 'fast', profile: 'fast' },
  { id: 'flaky', profile: 'flaky' },
] as const;

export const PIPELINE_HOST = '127.0.0.1';

export interface PipelineSpecOptions {
  /** Folder holding `gateway/` and `competitor/`: the checkout (`.ts`, through ts-node) or `dist/` (`.js`). */
  readonly appRoot: string;
  readonly extension: string;
  readonly gatewayPort: number;
  /** One per competitor of `PIPELINE_COMPETITORS`. */
  readonly competitorPorts: readonly number[];
  /** Environment every service gets (admin token, shutdown timings). */
  readonly shared: Readonly<Record<string, string>>;
}

export interface PipelineSpecs {
  readonly competitors: readonly ServiceSpec[];
  readonly gateway: ServiceSpec;
}

/** The pipeline's processes: each competitor on its port, and the gateway routing to them. */
export function pipelineSpecs(options: PipelineSpecOptions): PipelineSpecs {
  const { appRoot, extension, gatewayPort, competitorPorts, shared } = options;
  const entry = (app: string): string => path.join(appRoot, app, `server${extension}`);
  const competitorUrl = (index: number): string => `http://${PIPELINE_HOST}:${competitorPorts[index]}`;
  return {
    competitors: PIPELINE_COMPETITORS.map(({ id, profile }, index) => ({
      name: `competitor-${id}`,
      script: entry('competitor'),
      env: { ...shared, PORT: String(competitorPorts[index]), COMPETITOR_HOST: PIPELINE_HOST, COMPETITOR_ID: id, COMPETITOR_PROFILE: profile },
      readyUrl: `${competitorUrl(index)}/health/ready`,
    })),
    gateway: {
      name: 'gateway',
      script: entry('gateway'),
      env: {
        ...shared,
        PORT: String(gatewayPort),
        GATEWAY_HOST: PIPELINE_HOST,
        GATEWAY_COMPETITORS: PIPELINE_COMPETITORS.map(({ id }, index) => `${id}=${competitorUrl(index)}`).join(','),
      },
      readyUrl: `http://${PIPELINE_HOST}:${gatewayPort}/health/ready`,
    },
  };
}

/**
 * Starts the competitors, waits for their readiness, then the gateway and its readiness.
 * Every service started is pushed to `services` at once, so a caller can stop them all
 * even when a later one fails to start.
 */
export async function startPipeline(
  specs: PipelineSpecs,
  services: RunningService[],
  output: LauncherOutput,
  baseEnv: NodeJS.ProcessEnv,
  readyTimeoutMs: number,
): Promise<void> {
  const competitors = specs.competitors.map((spec) => startService(spec, output, baseEnv));
  services.push(...competitors);
  await Promise.all(specs.competitors.map((spec, index) => waitUntilReady(competitors[index] as RunningService, spec.readyUrl, readyTimeoutMs)));
  const gateway = startService(specs.gateway, output, baseEnv);
  services.push(gateway);
  await waitUntilReady(gateway, specs.gateway.readyUrl, readyTimeoutMs);
}

/** A loopback port free right now (and so one nothing listens on, until someone binds it). */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0] as number;
}

/** Ports free right now on loopback (bound on port 0, then released). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer().listen(0, PIPELINE_HOST));
  await Promise.all(servers.map((server) => once(server, 'listening')));
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
