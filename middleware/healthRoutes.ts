import { performance } from 'node:perf_hooks';
import { isNativeError } from 'node:util/types';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { ConfigError, SightlineConfig } from '../src/config';
import { errorBody } from '../src/errors';
import { createEventLoopLag, type EventLoopLag } from '../src/eventLoopLag';
import type { CheckResult, HealthRegistry, HealthStatus } from '../src/healthRegistry';
import type { Lifecycle, StartupState } from '../src/lifecycle';
import { mergePools } from '../src/mergePools';
import { roundToThousandths } from '../src/roundToThousandths';
import { requestIdOf } from './requestState';

export interface HealthRoutesOptions {
  readonly registry: HealthRegistry;
  readonly lifecycle: Lifecycle;
  readonly config: Pick<SightlineConfig, 'service' | 'version' | 'commit'>;
  /** Rejected configuration values: `/health/startup` fails while there are any. */
  readonly configErrors: readonly ConfigError[];
  /** Shown by `/health/startup` and `/health/detailed` ("OBS_ADMIN_TOKEN is not set: /ops answers 404"). */
  readonly notes?: readonly string[];
  /** More pool statistics for `/health/detailed`, beside the registry's pools. */
  readonly pools?: () => Record<string, unknown>;
  /** Share of failed responses, for `/health/detailed` (an error-rate monitor's `rate`). */
  readonly errorRate?: () => { readonly requests: number; readonly errors: number; readonly rate: number };
  /** Started by the router. Default: a monitor of its own, unref'd. */
  readonly lag?: EventLoopLag;
  /** `/health/live` fails from this lag on. Default 1000. */
  readonly maxEventLoopLagMs?: number;
  /** `false` answers 404 on every health path. Default true. */
  readonly enabled?: boolean;
  /** Epoch ms the service started, for `uptime_s`. Default: when the process started. */
  readonly startedAt?: number;
  /** Wall clock in epoch ms. Default `Date.now`. */
  readonly now?: () => number;
}

export const HEALTH_PATHS = ['/health', '/health/live', '/health/ready', '/health/startup', '/health/detailed'] as const;

const HEALTH_JSON = 'application/health+json';

type JsonStatus = 'ok' | 'warn' | 'fail';

interface StartupProblems {
  readonly config_errors: readonly ConfigError[];
  readonly pending: readonly string[];
  readonly failed: StartupState['failed'];
}

/** One answer in both representations: sightline's JSON and draft-inadarei-api-health-check. */
interface HealthAnswer {
  readonly httpStatus: number;
  readonly json: Record<string, unknown>;
  readonly healthJson: Record<string, unknown>;
}

/** draft-inadarei-api-health-check, section 4: one entry of `checks`. */
interface HealthJsonCheck {
  readonly componentId?: string;
  readonly componentType?: string;
  readonly status: HealthStatus;
  readonly observedValue: number;
  readonly observedUnit: string;
  readonly time: string;
  readonly output?: string;
}

/**
 * `/health` (process answers), `/health/live` (event loop not stuck), `/health/ready`
 * (critical checks pass, not draining), `/health/startup` (config valid, startup tasks
 * done) and `/health/detailed`. `Accept: application/health+json` gets the IETF draft format.
 */
export function healthRoutes(options: HealthRoutesOptions): Router {
  const { maxEventLoopLagMs = 1000, enabled = true, startedAt = performance.timeOrigin } = options;
  if (typeof maxEventLoopLagMs !== 'number' || !Number.isFinite(maxEventLoopLagMs) || maxEventLoopLagMs <= 0) {
    throw new TypeError(
      `healthRoutes: maxEventLoopLagMs must be a finite number above 0, got ${typeof maxEventLoopLagMs === 'number' ? maxEventLoopLagMs : JSON.stringify(maxEventLoopLagMs)}`,
    );
  }
  if (typeof startedAt !== 'number' || !Number.isFinite(startedAt)) {
    throw new TypeError(`healthRoutes: startedAt must be epoch milliseconds, got ${String(startedAt)}`);
  }
  const router = Router();
  if (enabled === false) {
    for (const path of HEALTH_PATHS) router.get(path, healthSwitchedOff);
    return router;
  }
  const lag = options.lag ?? createEventLoopLag();
  lag.start();
  const answers = new HealthAnswers(options, lag, maxEventLoopLagMs, startedAt);
  router.get('/health', answering(() => answers.process()));
  router.get('/health/live', answering(() => answers.live()));
  router.get('/health/ready', answering(() => answers.ready()));
  router.get('/health/startup', answering(() => answers.startup()));
  router.get('/health/detailed', answering(() => answers.detailed()));
  return router;
}

/** The answer of each health endpoint, from the registry, the lifecycle and the event-loop monitor. */
class HealthAnswers {
  private readonly registry: HealthRegistry;
  private readonly lifecycle: Lifecycle;
  private readonly now: () => number;
  private readonly pools: HealthRoutesOptions['pools'];
  private readonly errorRate: HealthRoutesOptions['errorRate'];
  private readonly identity: { readonly service: string; readonly version: string; readonly commit: string | null };
  private readonly healthJsonIdentity: Record<string, string>;
  private readonly notes: string[];
  private readonly configProblems: ConfigError[];

  constructor(
    options: HealthRoutesOptions,
    private readonly lag: EventLoopLag,
    private readonly maxEventLoopLagMs: number,
    private readonly startedAt: number,
  ) {
    const { config, notes = [], now = Date.now } = options;
    this.registry = options.registry;
    this.lifecycle = options.lifecycle;
    this.now = now;
    this.pools = options.pools;
    this.errorRate = options.errorRate;
    this.identity = { service: config.service, version: config.version, commit: config.commit ?? null };
    this.healthJsonIdentity = {
      version: config.version,
      ...(config.commit === undefined ? {} : { releaseId: config.commit }),
      serviceId: config.service,
    };
    this.notes = [...notes];
    this.configProblems = options.configErrors.map(({ variable, message }) => ({ variable, message }));
  }

  /** `/health`: the process answers. */
  process(): HealthAnswer {
    return {
      httpStatus: 200,
      json: { status: 'ok', ...this.identity, uptime_s: this.uptimeSeconds() },
      healthJson: { status: 'pass', ...this.healthJsonIdentity },
    };
  }

  /** `/health/live`: the event loop is not stuck. */
  live(): HealthAnswer {
    const { ok, lagMs } = this.liveness();
    const time = new Date(this.now()).toISOString();
    const lagCheck = eventLoopCheck(lagMs, ok, time, this.maxEventLoopLagMs);
    if (ok) {
      return {
        httpStatus: 200,
        json: { status: 'ok', event_loop_lag_ms: lagMs },
        healthJson: { status: 'pass', ...this.healthJsonIdentity, checks: { 'eventLoop:lag': [lagCheck] } },
      };
    }
    return {
      httpStatus: 503,
      json: { status: 'fail', reason: 'event_loop_lag', event_loop_lag_ms: lagMs, max_event_loop_lag_ms: this.maxEventLoopLagMs },
      healthJson: { status: 'fail', ...this.healthJsonIdentity, output: lagCheck.output, checks: { 'eventLoop:lag': [lagCheck] } },
    };
  }

  /** `/health/ready`: ready, not draining, and the critical checks pass. */
  async ready(): Promise<HealthAnswer> {
    const phase = this.lifecycle.phase();
    if (phase !== 'ready') {
      // Probes are left alone: a draining process is leaving, a starting one is not connected yet.
      const pending = phase === 'starting' ? { pending: [...this.lifecycle.startup().pending] } : {};
      return {
        httpStatus: 503,
        json: { status: 'fail', reason: phase, ...pending },
        healthJson: { status: 'fail', ...this.healthJsonIdentity, output: phase },
      };
    }
    const report = await this.registry.check();
    const status = jsonStatusOf(report.status);
    return {
      httpStatus: status === 'fail' ? 503 : 200,
      json: { status, checks: mapValues(report.checks, publicCheck) },
      healthJson: { status: report.status, ...this.healthJsonIdentity, checks: responseTimeChecks(report.checks) },
    };
  }

  /** `/health/startup`: the configuration is valid and every startup task is done. */
  startup(): HealthAnswer {
    const { ok, ...startup } = this.startupView();
    const status: JsonStatus = ok ? 'ok' : 'fail';
    return {
      httpStatus: ok ? 200 : 503,
      json: { status, ...startup, notes: this.notes },
      healthJson: {
        status: ok ? 'pass' : 'fail',
        ...this.healthJsonIdentity,
        notes: this.notes,
        ...(ok ? {} : { output: startupOutput(startup) }),
      },
    };
  }

  /** `/health/detailed`: all of the above, the pools, the process and the error rate. */
  async detailed(): Promise<HealthAnswer> {
    const phase = this.lifecycle.phase();
    const report = phase === 'ready' ? await this.registry.check() : undefined;
    const checks = report?.checks ?? this.registry.lastResults();
    const live = this.liveness();
    const { ok: started, ...startup } = this.startupView();
    const readiness: HealthStatus = report?.status ?? 'fail';
    const status: HealthStatus = !live.ok || !started ? 'fail' : readiness;
    const time = new Date(this.now()).toISOString();
    const uptime = this.uptimeSeconds();
    const appPools = readPools(this.pools);
    return {
      httpStatus: status === 'fail' ? 503 : 200,
      json: {
        status: jsonStatusOf(status),
        ...this.identity,
        uptime_s: uptime,
        phase,
        startup: { ok: started, ...startup, notes: this.notes },
        checks,
        pools: mergePools(this.registry.pools(), appPools.pools),
        ...(appPools.error === undefined ? {} : { pools_error: appPools.error }),
        process: processFigures(live.lagMs),
        error_rate: readErrorRate(this.errorRate),
      },
      healthJson: {
        status,
        ...this.healthJsonIdentity,
        notes: this.notes,
        checks: {
          'uptime:uptime': [
            { componentType: 'system', status: 'pass', observedValue: uptime, observedUnit: 's', time },
          ] satisfies HealthJsonCheck[],
          'eventLoop:lag': [eventLoopCheck(live.lagMs, live.ok, time, this.maxEventLoopLagMs)],
          ...responseTimeChecks(checks),
        },
      },
    };
  }

  private uptimeSeconds(): number {
    return roundToThousandths((this.now() - this.startedAt) / 1000);
  }

  private liveness(): { readonly ok: boolean; readonly lagMs: number } {
    const lagMs = roundToThousandths(this.lag.lagMs());
    return { ok: lagMs < this.maxEventLoopLagMs, lagMs };
  }

  private startupView(): StartupProblems & { readonly ok: boolean } {
    const state: StartupState = this.lifecycle.startup();
    const ok = this.configProblems.length === 0 && state.finished && state.failed.length === 0;
    return {
      ok,
      config_errors: this.configProblems,
      pending: [...state.pending],
      failed: state.failed.map(({ task, message }) => ({ task, message })),
    };
  }
}

function healthSwitchedOff(req: Request, res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
  res.status(404).json(errorBody('SIGHTLINE_ERR_NOT_FOUND', requestIdOf(req)));
}

/** Wraps an endpoint so that nothing of sightline's own failures (message, stack) reaches the client. */
function answering(compute: () => HealthAnswer | Promise<HealthAnswer>): RequestHandler {
  return async function healthEndpoint(req, res) {
    res.setHeader('Cache-Control', 'no-store');
    const wantsHealthJson = req.accepts(['application/json', HEALTH_JSON]) === HEALTH_JSON;
    try {
      const answer = await compute();
      send(res, answer.httpStatus, wantsHealthJson ? answer.healthJson : answer.json, wantsHealthJson);
    } catch {
      if (res.headersSent) return;
      const body = wantsHealthJson
        ? { status: 'fail', output: 'health could not be determined' }
        : { status: 'fail', ...errorBody('SIGHTLINE_ERR_UNAVAILABLE', requestIdOf(req)) };
      send(res, 503, body, wantsHealthJson);
    }
  };
}

/** Serialised before anything is written, so a body that cannot be serialised still gets the generic 503. */
function send(res: Response, httpStatus: number, body: Record<string, unknown>, healthJson: boolean): void {
  const text = JSON.stringify(body);
  res.status(httpStatus).type(healthJson ? HEALTH_JSON : 'application/json').send(text);
}

function jsonStatusOf(status: HealthStatus): JsonStatus {
  return status === 'pass' ? 'ok' : status;
}

function publicCheck(result: CheckResult): Record<string, unknown> {
  const { ok, critical, latency_ms, message, observed } = result;
  return {
    ok,
    critical,
    latency_ms,
    ...(message === undefined ? {} : { message }),
    ...(observed === undefined ? {} : { observed }),
  };
}

function responseTimeChecks(results: Readonly<Record<string, CheckResult>>): Record<string, HealthJsonCheck[]> {
  const checks: Record<string, HealthJsonCheck[]> = {};
  for (const [name, result] of Object.entries(results)) {
    checks[`${name}:responseTime`] = [
      {
        componentId: name,
        status: result.ok ? 'pass' : result.critical ? 'fail' : 'warn',
        observedValue: result.latency_ms,
        observedUnit: 'ms',
        time: result.checked_at,
        // The draft asks for `output` on warn and fail only.
        ...(result.ok || result.message === undefined ? {} : { output: result.message }),
      },
    ];
  }
  return checks;
}

function eventLoopCheck(lagMs: number, ok: boolean, time: string, maxMs: number): HealthJsonCheck {
  return {
    componentType: 'system',
    status: ok ? 'pass' : 'fail',
    observedValue: lagMs,
    observedUnit: 'ms',
    time,
    ...(ok ? {} : { output: `event loop lag ${lagMs} ms, limit ${maxMs} ms` }),
  };
}

function startupOutput(startup: StartupProblems): string {
  const parts = [
    ...startup.config_errors.map(({ variable, message }) => `${variable}: ${message}`),
    ...startup.pending.map((task) => `${task}: pending`),
    ...startup.failed.map(({ task, message }) => `${task}: ${message}`),
  ];
  return parts.join('; ');
}

/** The process of `/health/detailed`: memory, event-loop lag, uptime, pid and Node's version. */
function processFigures(eventLoopLagMs: number): Record<string, unknown> {
  const memory = process.memoryUsage();
  return {
    memory: { rss: memory.rss, heap_used: memory.heapUsed, heap_total: memory.heapTotal, external: memory.external },
    event_loop_lag_ms: eventLoopLagMs,
    uptime_s: roundToThousandths(process.uptime()),
    pid: process.pid,
    node: process.version,
  };
}

function readPools(pools: HealthRoutesOptions['pools']): { pools: Record<string, unknown>; error?: string } {
  if (pools === undefined) return { pools: {} };
  try {
    return { pools: pools() };
  } catch (error) {
    return { pools: {}, error: messageOf(error) };
  }
}

function readErrorRate(errorRate: HealthRoutesOptions['errorRate']): Record<string, number | string> | null {
  if (errorRate === undefined) return null;
  try {
    const { requests, errors, rate } = errorRate();
    return { requests, errors, rate };
  } catch (error) {
    return { error: messageOf(error) };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error || isNativeError(error) ? error.message : String(error);
}

function mapValues<T, U>(record: Readonly<Record<string, T>>, map: (value: T) => U): Record<string, U> {
  const mapped: Record<string, U> = {};
  for (const [key, value] of Object.entries(record)) mapped[key] = map(value);
  return mapped;
}

