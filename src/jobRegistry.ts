import { performance } from 'node:perf_hooks';
import type { SightlineMetrics } from './metrics';

/** An operator-triggered task (`POST /ops/jobs/:name`): rebuild a cache, rotate a key, compact a store. */
export type Job = () => unknown;

/** Options of `obs.jobs.register(name, job, options)`. */
export interface JobRegistrationOptions {
  /** What the job does, for operators: listed by `GET /ops/jobs`. */
  readonly description?: string;
}

/**
 * How a request to run a job went: `unknown` (no job of that name), `already_running` (a run
 * is under way; none was started), or the run's result with its duration in milliseconds and
 * what the job returned or threw.
 */
export type JobRun =
  | { readonly status: 'unknown' }
  | { readonly status: 'already_running' }
  | { readonly status: 'succeeded'; readonly durationMs: number; readonly output: unknown }
  | { readonly status: 'failed'; readonly durationMs: number; readonly error: unknown };

/** One registered job as `GET /ops/jobs` lists it; the `last_*` fields are undefined until a run. */
export interface JobSummary {
  /** The name it was registered under, run with `POST /ops/jobs/:name`. */
  readonly name: string;
  /** The description given at registration. */
  readonly description: string | undefined;
  /** Whether a run is under way. */
  readonly running: boolean;
  /** How the last finished run ended (a rejection or throw is `failed`). */
  readonly last_result: 'succeeded' | 'failed' | undefined;
  /** When the latest run started, ISO 8601 in UTC; while a run is under way, that run's start. */
  readonly last_run_at: string | undefined;
  /** How long the last finished run took, in milliseconds. */
  readonly last_duration_ms: number | undefined;
}

export interface JobRegistry {
  register(name: string, job: Job, options?: JobRegistrationOptions): void;
  /** Runs the job unless it is unknown or already running; never throws. */
  run(name: string): Promise<JobRun>;
  list(): JobSummary[];
}

const JOB_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

interface Entry {
  readonly job: Job;
  readonly description: string | undefined;
  running: boolean;
  lastResult: 'succeeded' | 'failed' | undefined;
  lastRunAt: string | undefined;
  lastDurationMs: number | undefined;
}

export function createJobRegistry(options: { readonly metrics?: SightlineMetrics } = {}): JobRegistry {
  const entries = new Map<string, Entry>();
  const runs = options.metrics?.catalogued('jobRuns');
  const duration = options.metrics?.catalogued('jobDuration');

  return {
    register(name, job, { description } = {}) {
      if (!JOB_NAME.test(name)) {
        throw new TypeError(`jobs: name must be 1-64 of [a-z0-9_.-], starting with a letter or digit, got ${JSON.stringify(name)}`);
      }
      if (typeof job !== 'function') throw new TypeError(`jobs: ${name} must be a function, got ${typeof job}`);
      if (entries.has(name)) throw new TypeError(`jobs: ${JSON.stringify(name)} is already registered`);
      entries.set(name, { job, description, running: false, lastResult: undefined, lastRunAt: undefined, lastDurationMs: undefined });
    },
    async run(name) {
      const entry = entries.get(name);
      if (entry === undefined) return { status: 'unknown' };
      if (entry.running) {
        runs?.inc({ job: name, result: 'already_running' });
        return { status: 'already_running' };
      }
      entry.running = true;
      entry.lastRunAt = new Date().toISOString();
      const started = performance.now();
      let result: JobRun;
      try {
        const output = await entry.job();
        result = { status: 'succeeded', durationMs: performance.now() - started, output };
      } catch (error) {
        result = { status: 'failed', durationMs: performance.now() - started, error };
      }
      entry.running = false;
      entry.lastResult = result.status;
      entry.lastDurationMs = result.durationMs;
      runs?.inc({ job: name, result: result.status });
      duration?.observe({ job: name }, result.durationMs / 1000);
      return result;
    },
    list() {
      return [...entries].map(([name, entry]) => ({
        name,
        description: entry.description,
        running: entry.running,
        last_result: entry.lastResult,
        last_run_at: entry.lastRunAt,
        last_duration_ms: entry.lastDurationMs,
      }));
    },
  };
}
