import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WatchedProcess } from './cpu';
import { LoadUsageError, parseLoadArguments, USAGE, type LoadOptions } from './options';
import { startOwnPipeline, type OwnPipeline } from './pipeline';
import { formatChecks } from './report';
import { metricsRss, procRss, type RssSource } from './rss';
import { SCENARIO_RUNNERS, SOAK_HEALTH_RATE } from './scenarios';

/**
 * `npm run load -- <chat_load|stream_load|health_load|soak> [flags]`: load scenarios against
 * the reference gateway, with thresholds. Without `--url` it starts its own gateway and
 * competitor (logs to a file) and stops them after.
 */

export const EXIT = Object.freeze({ passed: 0, thresholdMissed: 1, usage: 2, couldNotRun: 3, interrupted: 130 });

export interface LoadIo {
  /** The report, one line at a time. */
  out(line: string): void;
  /** Usage errors and failures to run. */
  err(line: string): void;
  /** Variables read for the admin token (`OBS_ADMIN_TOKEN`). Default `process.env`. */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /** Stops the run early (the summary of what ran is still printed). */
  readonly signal?: AbortSignal;
}

const STANDARD_IO: LoadIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Runs one scenario and resolves with the exit code; never calls `process.exit`. */
export async function runLoad(argv: readonly string[], io: LoadIo = STANDARD_IO): Promise<number> {
  let options: LoadOptions;
  try {
    options = parseLoadArguments(argv);
  } catch (error) {
    if (!(error instanceof LoadUsageError)) throw error;
    io.err(`load: ${error.message}`);
    io.err('usage: npm run load -- <chat_load|stream_load|health_load|soak> [flags]  (--help lists the flags)');
    return EXIT.usage;
  }
  if (options.help) {
    io.out(USAGE);
    return EXIT.passed;
  }
  const { scenario } = options;
  const signal = io.signal ?? new AbortController().signal;
  let pipeline: OwnPipeline | undefined;
  try {
    let url: string;
    let rss: RssSource | undefined;
    let processes: WatchedProcess[] = [];
    if (options.url === undefined) {
      const logFile = options.logFile ?? path.join(tmpdir(), `sightline-load-${scenario}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
      io.out(`[${scenario}] starting a gateway and competitor "${options.model}" (profile ${options.profile}); their logs go to ${logFile}`);
      try {
        pipeline = await startOwnPipeline({ model: options.model, profile: options.profile, logFile, logLevel: options.logLevel });
      } catch (error) {
        io.err(`load: the gateway and competitor could not start: ${messageOf(error)} (see ${logFile})`);
        return EXIT.couldNotRun;
      }
      url = pipeline.url;
      processes = [
        { name: 'gateway', pid: pipeline.gatewayPid },
        { name: 'competitor', pid: pipeline.competitorPid },
      ];
      if (scenario === 'soak') rss = procRss(pipeline.gatewayPid);
    } else {
      url = options.url;
      if (options.gatewayPid !== undefined) processes = [{ name: 'gateway', pid: options.gatewayPid }];
      const problem = await unreachable(url);
      if (problem !== undefined) {
        io.err(`load: ${url}/health/live ${problem}`);
        return EXIT.couldNotRun;
      }
      if (scenario === 'soak') {
        const source = rssSourceFor(options, url, io.environment ?? process.env);
        if (typeof source === 'string') {
          io.err(`load: ${source}`);
          return EXIT.usage;
        }
        rss = source;
      }
    }
    if (rss !== undefined) {
      try {
        await rss.read();
      } catch (error) {
        io.err(`load: the gateway's RSS cannot be read: ${messageOf(error)}`);
        return EXIT.couldNotRun;
      }
    }
    io.out(describe(options, url, pipeline));
    const checks = await SCENARIO_RUNNERS[scenario]({ options, url, rss, processes, print: io.out, signal });
    for (const line of formatChecks(scenario, checks)) io.out(line);
    if (signal.aborted) {
      io.out(`[${scenario}] interrupted: the figures cover only what ran`);
      return EXIT.interrupted;
    }
    return checks.every((check) => check.passed) ? EXIT.passed : EXIT.thresholdMissed;
  } catch (error) {
    io.err(`load: ${scenario} could not run: ${messageOf(error)}`);
    return EXIT.couldNotRun;
  } finally {
    await pipeline?.stop();
  }
}

function describe(options: LoadOptions, url: string, pipeline: OwnPipeline | undefined): string {
  const shape =
    options.scenario === 'chat_load'
      ? `ramp ${options.steps.join(' → ')} connections, ${Math.floor(options.durationSeconds / options.steps.length)} s each`
      : options.scenario === 'stream_load'
        ? `${options.rate} streams/s for ${options.durationSeconds} s`
        : options.scenario === 'health_load'
          ? `${options.connections} connections for ${options.durationSeconds} s`
          : `${options.rate} completions/s, ${options.streamRate} streams/s, ${SOAK_HEALTH_RATE} readiness probes/s for ${options.durationSeconds} s`;
  const target = pipeline === undefined ? `${url} (given)` : `${url} (own gateway, pid ${pipeline.gatewayPid})`;
  return `[${options.scenario}] target ${target}, model ${options.model}: ${shape}, after ${options.warmupSeconds} s of warm-up`;
}

/** `undefined` when `<url>/health/live` answers 200, else what went wrong. */
async function unreachable(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return res.status === 200 ? undefined : `answered ${res.status}`;
  } catch (error) {
    return `did not answer: ${messageOf(error)}`;
  }
}

/** For soak with `--url`: /proc of `--gateway-pid`, else /metrics with the admin token; a string says what is missing. */
function rssSourceFor(options: LoadOptions, url: string, environment: Readonly<Record<string, string | undefined>>): RssSource | string {
  if (options.gatewayPid !== undefined) return procRss(options.gatewayPid);
  let token = environment.OBS_ADMIN_TOKEN;
  if (options.adminTokenFile !== undefined) {
    try {
      token = readFileSync(options.adminTokenFile, 'utf8').trim();
    } catch (error) {
      return `--admin-token-file ${JSON.stringify(options.adminTokenFile)} cannot be read: ${messageOf(error)}`;
    }
  }
  if (token === undefined || token === '') {
    return 'soak with --url needs the gateway RSS: give --gateway-pid, or --admin-token-file (npm start writes .sightline/admin-token), or set OBS_ADMIN_TOKEN';
  }
  return metricsRss(url, token);
}

function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map(messageOf).join('; ');
  if (error instanceof Error) return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
  return String(error);
}

if (require.main === module) {
  const controller = new AbortController();
  const interrupt = (): void => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    controller.abort();
  };
  process.on('SIGINT', interrupt).on('SIGTERM', interrupt);
  runLoad(process.argv.slice(2), { ...STANDARD_IO, signal: controller.signal }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`load: ${messageOf(error)}\n`);
      process.exitCode = EXIT.couldNotRun;
    },
  );
}
