import { existsSync } from 'node:fs';
import path from 'node:path';
import { nextMessage } from '../childMessage';
import { freePort, startChild, type RunningChild } from './processes';
import { isChildMessage, type ClientCommand, type WaveCommand, type WaveResult } from './protocol';
import type { PathName, StreamsSettings, UpstreamName } from './settings';

/** `dist/` of the project: this file runs as dist/bench/streams/services.js. */
export const DIST = path.resolve(__dirname, '..', '..');
export const PROJECT_ROOT = path.resolve(DIST, '..');
const SCRIPTS = {
  rawUpstream: path.join(__dirname, 'rawUpstream.js'),
  naiveProxy: path.join(__dirname, 'naiveProxy.js'),
  client: path.join(__dirname, 'client.js'),
  competitor: path.join(DIST, 'competitor', 'server.js'),
  gateway: path.join(DIST, 'gateway', 'server.js'),
};

/** The model (and competitor id) every bench request names. */
export const MODEL = 'bench';
/** Every process shuts down at once: no drain delay to wait through between groups. */
const QUICK_SHUTDOWN = { OBS_SHUTDOWN_DRAIN_DELAY_MS: '0', OBS_SHUTDOWN_GRACE_PERIOD_MS: '2000' };

export function assertBuilt(): void {
  for (const [name, file] of Object.entries(SCRIPTS)) {
    if (!existsSync(file)) throw new Error(`${name}: ${file} is missing; run npm run build`);
  }
}

export type CompetitorTiming = 'stream' | 'instant';

export interface UpstreamOptions {
  readonly kind: UpstreamName;
  /** `stream`: tokens every intervalMs (the concurrency matrix); `instant`: no latency at all (non-streaming). */
  readonly timing: CompetitorTiming;
  /** The competitor's answer length in tokens (`stream` timing). */
  readonly competitorTokens?: number;
}

export async function startUpstream(options: UpstreamOptions, settings: StreamsSettings): Promise<RunningChild> {
  if (options.kind === 'raw') {
    return startChild({ name: 'raw upstream', script: SCRIPTS.rawUpstream, core: settings.upstreamCore, env: {}, ready: { kind: 'ipc' } });
  }
  const port = await freePort();
  const timing: Record<string, string> =
    options.timing === 'stream'
      ? {
          COMPETITOR_TOKEN_INTERVAL_MS: String(settings.intervalMs),
          COMPETITOR_TOKENS_PER_ANSWER: String(options.competitorTokens ?? settings.events),
        }
      : { COMPETITOR_TOKEN_INTERVAL_MS: '0' };
  return startChild({
    name: 'competitor',
    script: SCRIPTS.competitor,
    core: settings.upstreamCore,
    env: {
      PORT: String(port),
      COMPETITOR_HOST: '127.0.0.1',
      COMPETITOR_ID: MODEL,
      COMPETITOR_PROFILE: 'instant',
      COMPETITOR_TTFT_MS: '0',
      COMPETITOR_JITTER_MS: '0',
      ...timing,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      ...QUICK_SHUTDOWN,
    },
    ready: { kind: 'http', port },
  });
}

export function startNaiveProxy(upstreamPort: number, core: number | undefined, maxSockets?: number, nofile?: number): Promise<RunningChild> {
  return startChild({
    name: 'naive proxy',
    script: SCRIPTS.naiveProxy,
    core,
    env: { UPSTREAM_PORT: String(upstreamPort), ...(maxSockets === undefined ? {} : { MAX_SOCKETS: String(maxSockets) }) },
    nofile,
    ready: { kind: 'ipc' },
  });
}

export interface GatewayOptions {
  readonly upstreamPort: number;
  readonly core: number | undefined;
  /** Competitor ids, all routed to the same upstream (default: just `bench`). */
  readonly competitorIds?: readonly string[];
  readonly nofile?: number;
  readonly nodeArgs?: readonly string[];
  readonly cwd?: string;
  readonly captureStdout?: boolean;
}

/** The reference gateway as shipped (dist/gateway/server.js), full observability at LOG_LEVEL=info, logs to /dev/null. */
export async function startGateway(options: GatewayOptions): Promise<RunningChild> {
  const port = await freePort();
  const ids = options.competitorIds ?? [MODEL];
  return startChild({
    name: 'gateway',
    script: SCRIPTS.gateway,
    core: options.core,
    env: {
      PORT: String(port),
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_COMPETITORS: ids.map((id) => `${id}=http://127.0.0.1:${options.upstreamPort}`).join(','),
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
      ...QUICK_SHUTDOWN,
    },
    nofile: options.nofile,
    nodeArgs: options.nodeArgs,
    cwd: options.cwd,
    captureStdout: options.captureStdout,
    ready: { kind: 'http', port },
  });
}

/** An upstream, up for a whole phase. */
export interface Upstream {
  readonly upstreamName: UpstreamName;
  /** The competitor's fixed answer length; undefined for the raw upstream (set per request). */
  readonly competitorTokens: number | undefined;
  readonly upstream: RunningChild;
}

/** The upstream and, for one round, fresh relays in front of it. */
export interface Group extends Upstream {
  readonly naive: RunningChild;
  readonly gateway: RunningChild;
}

export async function startPhaseUpstream(options: UpstreamOptions, settings: StreamsSettings): Promise<Upstream> {
  const upstream = await startUpstream(options, settings);
  const competitorTokens = options.kind === 'competitor' && options.timing === 'stream' ? (options.competitorTokens ?? settings.events) : undefined;
  return { upstreamName: options.kind, competitorTokens, upstream };
}

/** A naive proxy and a gateway, both new processes, in front of `upstream`. */
export async function startRelays(upstream: Upstream, settings: StreamsSettings): Promise<Group> {
  const [naive, gateway] = await Promise.allSettled([
    startNaiveProxy(upstream.upstream.port, settings.relayCore),
    startGateway({ upstreamPort: upstream.upstream.port, core: settings.relayCore }),
  ]);
  if (naive.status === 'fulfilled' && gateway.status === 'fulfilled') return { ...upstream, naive: naive.value, gateway: gateway.value };
  await Promise.all([naive, gateway].map((started) => (started.status === 'fulfilled' ? started.value.stop() : undefined)));
  throw naive.status === 'rejected' ? naive.reason : (gateway as PromiseRejectedResult).reason;
}

export async function stopRelays(group: Group): Promise<void> {
  await Promise.all([group.gateway.stop(), group.naive.stop()]);
}

/** Where a path's requests go, and which process relays them (none for `direct`). */
export function pathTarget(group: Group, pathName: PathName): { readonly port: number; readonly relay: RunningChild | undefined } {
  if (pathName === 'direct') return { port: group.upstream.port, relay: undefined };
  const relay = pathName === 'naive' ? group.naive : group.gateway;
  return { port: relay.port, relay };
}

/** The load generator process, driven over IPC. */
export class LoadClient {
  private nextId = 1;

  private constructor(private readonly child: RunningChild) {}

  static async start(core: number | undefined): Promise<LoadClient> {
    return new LoadClient(await startChild({ name: 'load generator', script: SCRIPTS.client, core, env: {}, ready: { kind: 'ipc' } }));
  }

  get pid(): number {
    return this.child.pid;
  }

  /** Runs waves of streams; without `holdMs` every stream runs to its end. */
  async waves(
    command: Omit<WaveCommand, 'type' | 'id' | 'holdMs' | 'holdDeadlineMs'> & Partial<Pick<WaveCommand, 'holdMs' | 'holdDeadlineMs'>>,
    timeoutMs: number,
  ): Promise<WaveResult> {
    const id = this.nextId++;
    this.send({ type: 'wave', id, holdMs: 0, holdDeadlineMs: 0, ...command });
    const message = await nextMessage(this.child.process, timeoutMs, `the load generator (wave ${id})`, isChildMessage);
    if (message.type !== 'result' || message.id !== id) throw new Error(`load generator answered ${JSON.stringify(message).slice(0, 200)}`);
    return message;
  }

  /** Drops its keep-alive connections, so every measurement opens its own in its warm-up. */
  async reset(): Promise<void> {
    const id = this.nextId++;
    this.send({ type: 'reset', id });
    const message = await nextMessage(this.child.process, 10_000, 'the load generator to reset', isChildMessage);
    if (message.type !== 'reset-done') throw new Error(`load generator answered ${JSON.stringify(message).slice(0, 200)}`);
  }

  async stop(): Promise<void> {
    if (this.child.process.connected) this.send({ type: 'stop' });
    await this.child.stop(5000);
  }

  private send(command: ClientCommand): void {
    this.child.process.send(command);
  }
}
