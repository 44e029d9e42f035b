import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { describeWithBinary, systemBinary } from './systemBinary';
import { freePort } from '../../scripts/pipeline';

/**
 * Test harness for the real Prometheus binaries (Debian's `prometheus` package provides
 * both `prometheus` and `promtool`); declare their tests with `describeWithBinary`.
 */

export { describeWithBinary, systemBinary };

export interface PromtoolResult {
  /** 0 clean, 3 lint problems only, 1 parse or other error. */
  code: number;
  /** stdout and stderr, interleaved in arrival order. */
  output: string;
}

/** Runs `promtool check metrics` with `text` (Prometheus exposition format) on stdin. */
export function promtoolCheckMetrics(text: string): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(systemBinary('promtool') ?? 'promtool', ['check', 'metrics'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const output = Buffer.concat(chunks).toString('utf8');
      if (code === null) {
        reject(new Error(`promtool check metrics killed by ${signal ?? 'a signal'}: ${output}`));
        return;
      }
      resolve({ code, output });
    });
    // promtool may exit before reading all of stdin (parse error); that is not our failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(text);
  });
}

export interface PromtoolProblem {
  metric: string;
  problem: string;
}

const METRIC_NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*?';
// promtool 2.x prints `<metric> <problem>` (e.g. `demo_things_total non-counter metrics should
// not have "_total" suffix`); `<metric>: <problem>` is accepted too. Metric names may contain
// colons, hence the lazy name followed by an optional colon.
const PROBLEM_LINE = new RegExp(`^(${METRIC_NAME}):?\\s+(\\S.*)$`);

/** The lint problems in `promtool check metrics` output (parse errors are not problems). */
export function promtoolProblems(output: string): PromtoolProblem[] {
  const problems: PromtoolProblem[] = [];
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || /^error while /i.test(line)) continue;
    const match = PROBLEM_LINE.exec(line);
    if (match?.[1] && match[2]) problems.push({ metric: match[1], problem: match[2].trim() });
  }
  return problems;
}

export interface PromVectorSample {
  metric: Record<string, string>;
  value: number;
}

export interface PromTarget {
  job: string;
  health: string;
  lastError: string;
  scrapeUrl: string;
}

export interface RunningPrometheus {
  readonly url: string;
  /** Instant query (`GET /api/v1/query`); throws with the API's error on status != success. */
  query(promql: string): Promise<PromVectorSample[]>;
  /** Polls `query` every 250 ms until `predicate` holds (default timeout 20 s). */
  waitFor(
    promql: string,
    predicate: (samples: PromVectorSample[]) => boolean,
    timeoutMs?: number,
  ): Promise<PromVectorSample[]>;
  /** The active scrape targets (`GET /api/v1/targets`). */
  targets(): Promise<PromTarget[]>;
  /** SIGTERM (SIGKILL after 5 s), wait for exit, remove the temp directory. */
  stop(): Promise<void>;
}

export interface PrometheusTarget {
  job: string;
  /** Full URL of the metrics endpoint, e.g. `http://127.0.0.1:1234/metrics`. */
  url: string;
  /** Sent as `Authorization: Bearer <token>` (via a credentials file). */
  bearerToken?: string;
}

export interface StartPrometheusOptions {
  /** Scraped by a configuration written for them (not with `configFile`). */
  targets?: PrometheusTarget[];
  /** Scrape (and evaluation) interval; default 1. */
  scrapeIntervalSeconds?: number;
  /** A configuration file run as it is instead; its relative paths resolve from its own directory. */
  configFile?: string;
}

const READY_TIMEOUT_MS = 15_000;
const READY_POLL_MS = 100;
const WAIT_FOR_POLL_MS = 250;
const WAIT_FOR_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
const HTTP_TIMEOUT_MS = 5_000;
const STDERR_LIMIT = 64 * 1024;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function scrapeConfig(target: PrometheusTarget, interval: string, dir: string, index: number): Record<string, unknown> {
  const url = new URL(target.url);
  const config: Record<string, unknown> = {
    job_name: target.job,
    scrape_interval: interval,
    scrape_timeout: interval,
    scheme: url.protocol.replace(/:$/, ''),
    metrics_path: url.pathname || '/',
    static_configs: [{ targets: [url.host] }],
  };
  if (url.search) {
    const params: Record<string, string[]> = {};
    for (const [key, value] of url.searchParams) (params[key] ??= []).push(value);
    config.params = params;
  }
  if (target.bearerToken !== undefined) {
    const file = path.join(dir, `token-${index}`);
    fs.writeFileSync(file, target.bearerToken, { mode: 0o600 });
    config.authorization = { type: 'Bearer', credentials_file: file };
  }
  return config;
}

function parseSampleValue(value: unknown): number {
  if (value === '+Inf') return Infinity;
  if (value === '-Inf') return -Infinity;
  return Number(value);
}

interface ApiResponse<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
}

async function getApi<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  const body = (await response.text()).trim();
  let parsed: ApiResponse<T>;
  try {
    parsed = JSON.parse(body) as ApiResponse<T>;
  } catch {
    throw new Error(`GET ${url}: HTTP ${response.status}: ${body}`);
  }
  if (parsed.status !== 'success' || parsed.data === undefined) {
    throw new Error(`GET ${url}: ${parsed.errorType ?? `HTTP ${response.status}`}: ${parsed.error ?? body}`);
  }
  return parsed.data;
}

/** Starts a real `prometheus` scraping `options.targets`; resolves once `/-/ready` answers 200. */
export async function startPrometheus(options: StartPrometheusOptions): Promise<RunningPrometheus> {
  const binary = systemBinary('prometheus');
  if (!binary) throw new Error("prometheus not found on PATH (apt-get install prometheus)");

  const seconds = options.scrapeIntervalSeconds ?? 1;
  const interval = `${seconds}s`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-prom-'));
  const cleanup = (): void => fs.rmSync(dir, { recursive: true, force: true });

  let child: ChildProcess;
  let url: string;
  try {
    let configFile = options.configFile;
    if (configFile === undefined) {
      const config = {
        global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
        scrape_configs: (options.targets ?? []).map((target, index) => scrapeConfig(target, interval, dir, index)),
      };
      // JSON is valid YAML, and quotes every string for us.
      configFile = path.join(dir, 'prometheus.yml');
      fs.writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
    }

    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(
      binary,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (error) {
    cleanup();
    throw error;
  }

  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_LIMIT);
  });
  let spawnError: Error | undefined;
  child.on('error', (error) => {
    spawnError = error;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;

  // If the test process dies without calling stop(), don't leave prometheus behind.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      if (!hasExited() && !spawnError) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      cleanup();
    })();
    return stopping;
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (spawnError || hasExited()) {
      await stop();
      const why = spawnError
        ? `could not be started: ${spawnError.message}`
        : `exited with ${child.exitCode ?? child.signalCode}`;
      throw new Error(`prometheus ${why}\n${stderr}`);
    }
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() >= deadline) {
      await stop();
      throw new Error(`prometheus at ${url} not ready after ${READY_TIMEOUT_MS} ms\n${stderr}`);
    }
    await sleep(READY_POLL_MS);
  }

  const query = async (promql: string): Promise<PromVectorSample[]> => {
    const data = await getApi<{ resultType: string; result: unknown }>(
      `${url}/api/v1/query?query=${encodeURIComponent(promql)}`,
    );
    if (data.resultType === 'scalar') {
      const [, value] = data.result as [number, string];
      return [{ metric: {}, value: parseSampleValue(value) }];
    }
    if (data.resultType !== 'vector') {
      throw new Error(`query ${promql} returned a ${data.resultType}, not an instant vector`);
    }
    return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((sample) => ({
      metric: sample.metric,
      value: parseSampleValue(sample.value[1]),
    }));
  };

  return {
    url,
    query,
    async waitFor(promql, predicate, timeoutMs = WAIT_FOR_TIMEOUT_MS) {
      const until = Date.now() + timeoutMs;
      let last: string;
      for (;;) {
        try {
          const samples = await query(promql);
          if (predicate(samples)) return samples;
          last = JSON.stringify(samples);
        } catch (error) {
          last = error instanceof Error ? error.message : String(error);
        }
        if (Date.now() >= until) {
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${promql}; last result: ${last}`);
        }
        await sleep(WAIT_FOR_POLL_MS);
      }
    },
    async targets() {
      const data = await getApi<{
        activeTargets: { labels?: Record<string, string>; scrapePool?: string; health: string; lastError: string; scrapeUrl: string }[];
      }>(`${url}/api/v1/targets?state=active`);
      return data.activeTargets.map((target) => ({
        job: target.labels?.job ?? target.scrapePool ?? '',
        health: target.health,
        lastError: target.lastError,
        scrapeUrl: target.scrapeUrl,
      }));
    },
    stop,
  };
}
