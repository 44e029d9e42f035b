import { setTimeout as delay } from 'node:timers/promises';
import { numberOption, parseCommandLine, processOutput, runAsCommand, stringOption, UsageError, USAGE_EXIT_CODE, type CommandOutput } from './cliArguments';
import { describeFailure } from './describeFailure';
import { followCommand, followFile, type LogFollower } from './logTail';
import { FAILED_STATUSES, latestDeploy, LIVE_STATUS, RenderApiError, RenderConfigError, renderSetup, type RenderTarget } from './renderDeploys';

/**
 * `npm run deploy-watch -- <base-url> [--timeout <seconds>] [--interval <ms>] [--log <file>]
 * [--log-command "<cmd>"]`: polls `<base-url>/health/ready` until it answers 2xx or the
 * deadline passes, printing one line per change of state. With `RENDER_API_KEY` and
 * `RENDER_SERVICE_ID` set, it first follows the service's latest deploy on Render until it
 * is live. Exit codes in `EXIT_CODES`.
 */

export const EXIT_CODES = {
  /** `/health/ready` answered 2xx. */
  healthy: 0,
  /** Not healthy (or, on Render, not live) by the deadline; the last failure is named. */
  unhealthy: 1,
  usage: USAGE_EXIT_CODE,
  /** Render says the deploy will not go live: build_failed, update_failed, pre_deploy_failed, canceled, deactivated. */
  deployFailed: 3,
  /** Render's API refused the request (bad key, unknown service: 4xx other than 429) or answered an unknown shape. */
  renderApi: 4,
  /** Stopped by SIGINT or SIGTERM. */
  interrupted: 130,
} as const;

const USAGE = 'usage: npm run deploy-watch -- <base-url> [--timeout <seconds>] [--interval <ms>] [--log <file>] [--log-command "<cmd>"]';
const DEFAULT_TIMEOUT_S = 300;
const DEFAULT_INTERVAL_MS = 2000;
/** Longest a single request may take, whatever the deadline. */
const MAX_REQUEST_MS = 10_000;
const MIN_REQUEST_MS = 500;

export interface DeployWatchOptions {
  /** Without a trailing slash; `/health/ready` is appended. */
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly logFile?: string;
  readonly logCommand?: string;
  readonly render?: RenderTarget;
}

export interface DeployWatchDependencies {
  /** Each state-change line and each followed log line. */
  readonly write: (line: string) => void;
  readonly fetch?: typeof fetch;
  /** Wall clock, epoch ms. Default `Date.now`. */
  readonly now?: () => number;
  /** Aborting it ends the watch (exit 130), log followers stopped first. */
  readonly signal?: AbortSignal;
}

export interface WatchOutcome {
  readonly code: (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
  /** One line: what was seen last. */
  readonly reason: string;
}

interface Observation {
  readonly ok: boolean;
  /** Lines are printed when this changes. */
  readonly key: string;
  readonly state: string;
  readonly detail: string;
}

/** Parses the command line and the Render variables; throws `UsageError` with the reason. */
export function parseDeployWatchArguments(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): DeployWatchOptions & { readonly notes: string[] } {
  const parsed = parseCommandLine(argv, {
    timeout: { type: 'string' },
    interval: { type: 'string' },
    log: { type: 'string' },
    'log-command': { type: 'string' },
  });
  if (parsed.positionals.length !== 1) {
    throw new UsageError(parsed.positionals.length === 0 ? 'no base URL given' : `one base URL expected, got ${parsed.positionals.length}: ${parsed.positionals.join(' ')}`);
  }
  const raw = parsed.positionals[0]!;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`the base URL must be an http(s) URL such as http://127.0.0.1:8080, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`the base URL must be http or https, got ${JSON.stringify(raw)}`);
  if (url.search !== '' || url.hash !== '') throw new UsageError(`the base URL takes no query or fragment, got ${JSON.stringify(raw)}`);
  const timeoutS = numberOption(parsed, 'timeout', DEFAULT_TIMEOUT_S, { min: 0.001, unit: 'seconds' });
  const intervalMs = numberOption(parsed, 'interval', DEFAULT_INTERVAL_MS, { min: 10, integer: true, unit: 'milliseconds' });
  const logFile = stringOption(parsed, 'log');
  const logCommand = stringOption(parsed, 'log-command');
  if (logFile === '') throw new UsageError('--log needs a file name');
  if (logCommand !== undefined && logCommand.trim() === '') throw new UsageError('--log-command needs a command');
  let setup;
  try {
    setup = renderSetup(env);
  } catch (error) {
    if (error instanceof RenderConfigError) throw new UsageError(error.message);
    throw error;
  }
  return {
    baseUrl: url.href.replace(/\/+$/, ''),
    timeoutMs: Math.round(timeoutS * 1000),
    intervalMs,
    logFile,
    logCommand,
    render: setup.target,
    notes: setup.note === undefined ? [] : [setup.note],
  };
}

/** Follows the deploy (and the logs) until healthy, failed, or the deadline. Never throws for what it observes. */
export async function watchDeploy(options: DeployWatchOptions, dependencies: DeployWatchDependencies): Promise<WatchOutcome> {
  const { write, fetch: fetchImpl = fetch, now = Date.now, signal } = dependencies;
  const { baseUrl, timeoutMs, intervalMs, render } = options;
  const started = now();
  const deadline = started + timeoutMs;
  const elapsed = (): string => `${((now() - started) / 1000).toFixed(1)} s`;
  const requestSignal = (): AbortSignal => {
    const timeout = AbortSignal.timeout(Math.min(MAX_REQUEST_MS, Math.max(MIN_REQUEST_MS, deadline - now())));
    return signal === undefined ? timeout : AbortSignal.any([timeout, signal]);
  };
  const interrupted = (): WatchOutcome => ({ code: EXIT_CODES.interrupted, reason: `interrupted by ${String(signal?.reason)} after ${elapsed()}` });
  let printed: string | undefined;
  const note = (observation: Observation): void => {
    if (observation.key === printed) return;
    printed = observation.key;
    write(`${new Date(now()).toISOString()}  ${observation.state.padEnd(11)}  ${observation.detail}`);
  };
  const pause = (): Promise<void> => delay(Math.max(0, Math.min(intervalMs, deadline - now())), undefined, { signal }).catch(() => undefined);

  const followers: LogFollower[] = [];
  if (options.logFile !== undefined) followers.push(followFile(options.logFile, { write }));
  if (options.logCommand !== undefined) followers.push(followCommand(options.logCommand, { write }));
  try {
    if (render !== undefined) {
      for (;;) {
        const observation = await observeDeploy(render, fetchImpl, requestSignal());
        if (signal?.aborted) return interrupted();
        note(observation);
        if (observation.outcome !== undefined) return { code: observation.outcome, reason: `${observation.detail} after ${elapsed()}` };
        if (observation.ok) break;
        if (now() >= deadline) {
          return { code: EXIT_CODES.unhealthy, reason: `the Render deploy was not live after ${elapsed()}; last: ${observation.detail}` };
        }
        await pause();
        if (signal?.aborted) return interrupted();
      }
    }

    const url = `${baseUrl}/health/ready`;
    for (;;) {
      const observation = await probe(url, fetchImpl, requestSignal());
      if (signal?.aborted) return interrupted();
      note(observation);
      if (observation.ok) return { code: EXIT_CODES.healthy, reason: `${url} answered ${observation.detail} after ${elapsed()}` };
      if (now() >= deadline) {
        return { code: EXIT_CODES.unhealthy, reason: `${url} not healthy after ${elapsed()}; last failure: ${observation.detail}` };
      }
      await pause();
      if (signal?.aborted) return interrupted();
    }
  } finally {
    await Promise.all(followers.map((follower) => follower.stop()));
  }
}

/** The latest deploy on Render: live (ok), still on its way, or an `outcome` that ends the watch. */
async function observeDeploy(render: RenderTarget, fetchImpl: typeof fetch, signal: AbortSignal): Promise<Observation & { readonly outcome?: WatchOutcome['code'] }> {
  try {
    const deploy = await latestDeploy(render, fetchImpl, signal);
    if (deploy === undefined) return { ok: false, key: 'deploy:none', state: 'deploy', detail: `service ${render.serviceId} has no deploy yet` };
    const commit = deploy.commit === undefined ? '' : ` (commit ${deploy.commit})`;
    const observation = { ok: deploy.status === LIVE_STATUS, key: `deploy:${deploy.id}:${deploy.status}`, state: 'deploy', detail: `Render deploy ${deploy.id} ${deploy.status}${commit}` };
    return FAILED_STATUSES.has(deploy.status) ? { ...observation, outcome: EXIT_CODES.deployFailed } : observation;
  } catch (error) {
    if (error instanceof RenderApiError) {
      return { ok: false, key: `render-api:${error.message}`, state: 'render-api', detail: error.message, ...(error.permanent ? { outcome: EXIT_CODES.renderApi } : {}) };
    }
    const detail = `Render API unreachable: ${describeFailure(error)}`;
    return { ok: false, key: `render-api:${detail}`, state: 'render-api', detail };
  }
}

/** One readiness request: 2xx healthy, another status unhealthy (with the start of the body), no answer unreachable. */
async function probe(url: string, fetchImpl: typeof fetch, signal: AbortSignal): Promise<Observation> {
  try {
    const res = await fetchImpl(url, { headers: { accept: 'application/json' }, signal });
    const body = (await res.text().catch(() => '')).replace(/\s+/g, ' ').trim();
    if (res.status >= 200 && res.status < 300) return { ok: true, key: 'healthy', state: 'healthy', detail: `HTTP ${res.status}` };
    const snippet = body === '' ? '' : ` ${body.length > 200 ? `${body.slice(0, 197)}...` : body}`;
    return { ok: false, key: `HTTP ${res.status}`, state: 'unhealthy', detail: `HTTP ${res.status}${snippet}` };
  } catch (error) {
    const detail = describeFailure(error);
    const code = (error as { cause?: { code?: unknown } }).cause?.code;
    return { ok: false, key: `error:${typeof code === 'string' ? code : detail}`, state: 'unreachable', detail };
  }
}

export async function deployWatch(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
  output: CommandOutput = processOutput,
  dependencies: Omit<DeployWatchDependencies, 'write'> = {},
): Promise<number> {
  let options: ReturnType<typeof parseDeployWatchArguments>;
  try {
    if (argv.includes('--help') || argv.includes('-h')) {
      output.out(USAGE);
      return 0;
    }
    options = parseDeployWatchArguments(argv, env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    output.err(`deploy-watch: ${error.message}\n${USAGE}`);
    return EXIT_CODES.usage;
  }
  for (const note of options.notes) output.err(`deploy-watch: ${note}`);
  const via = options.render === undefined ? '' : ` after Render deploy of ${options.render.serviceId} is live`;
  output.out(`deploy-watch: ${options.baseUrl}/health/ready${via}, every ${options.intervalMs} ms for up to ${options.timeoutMs / 1000} s`);
  const outcome = await watchDeploy(options, { ...dependencies, write: output.out });
  if (outcome.code === EXIT_CODES.healthy) output.out(`deploy-watch: healthy: ${outcome.reason}`);
  else output.err(`deploy-watch: ${outcome.reason}`);
  return outcome.code;
}

if (require.main === module) {
  // Ctrl-C or SIGTERM: the watch ends (exit 130) after the log command's process group is stopped.
  const interrupt = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => interrupt.abort(signal));
  runAsCommand(() => deployWatch(process.argv.slice(2), process.env, processOutput, { signal: interrupt.signal }));
}
