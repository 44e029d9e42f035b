import { formatCpu, startCpuMeter, type WatchedProcess } from './cpu';
import { drive, type Workload } from './drive';
import type { LoadOptions } from './options';
import { evaluate, formatPart, formatRss, formatTotal, type Check, type RssComparison } from './report';
import { median, type RssSource } from './rss';
import { mergeConcurrent, mergeSequential, summarize, type Tally } from './tally';

export interface ScenarioContext {
  readonly options: LoadOptions;
  /** The gateway's origin. */
  readonly url: string;
  /** soak only: where the gateway's RSS is read. */
  readonly rss: RssSource | undefined;
  /** Processes whose CPU time is reported (the own gateway and competitor, or `--gateway-pid`). */
  readonly processes: readonly WatchedProcess[];
  readonly print: (line: string) => void;
  readonly signal: AbortSignal;
  /** How often soak reads RSS. Default 1000 ms. */
  readonly rssIntervalMs?: number;
}

const PROMPT = 'Say hello.';
/** RSS after warm-up and at the end are each the median of this many samples (one a second). */
const RSS_WINDOW = 5;
const SOAK_PROGRESS_MS = 30_000;
export const SOAK_HEALTH_RATE = 10;

export function completionBody(model: string, stream: boolean): string {
  return JSON.stringify({ model, messages: [{ role: 'user', content: PROMPT }], stream });
}

/** A stream that ended properly: `data: [DONE]` and no error event. */
export function completeStream(body: string): boolean {
  return body.includes('data: [DONE]') && !body.includes('data: {"error"');
}

function chatWorkload(ctx: ScenarioContext, connections: number, overallRate?: number): Workload {
  return { url: `${ctx.url}/v1/chat/completions`, method: 'POST', body: completionBody(ctx.options.model, false), connections, overallRate };
}

function streamWorkload(ctx: ScenarioContext, rate: number): Workload {
  return {
    url: `${ctx.url}/v1/chat/completions`,
    method: 'POST',
    body: completionBody(ctx.options.model, true),
    connections: rate,
    overallRate: rate,
    verifyBody: completeStream,
  };
}

function healthWorkload(ctx: ScenarioContext, path: '/health/live' | '/health/ready', connections: number, overallRate?: number): Workload {
  return { url: `${ctx.url}${path}`, method: 'GET', connections, overallRate };
}

/** Runs workloads side by side for `seconds`. */
function together(ctx: ScenarioContext, workloads: readonly Workload[], seconds: number): Promise<Tally[]> {
  return Promise.all(workloads.map((workload) => drive(workload, seconds, ctx.options.timeoutSeconds, ctx.signal)));
}

async function warmUp(ctx: ScenarioContext, workloads: readonly Workload[]): Promise<void> {
  const { warmupSeconds } = ctx.options;
  if (warmupSeconds === 0 || ctx.signal.aborted) return;
  const tallies = await together(ctx, workloads, warmupSeconds);
  const summary = summarize(mergeConcurrent(tallies));
  ctx.print(formatPart(ctx.options.scenario, `warm-up (not counted)`, summary));
}

/** Connections ramp up step by step; the thresholds apply to every request of the ramp. */
export async function chatLoad(ctx: ScenarioContext): Promise<Check[]> {
  const { steps, durationSeconds, scenario, thresholds } = ctx.options;
  const stepSeconds = Math.floor(durationSeconds / steps.length);
  await warmUp(ctx, [chatWorkload(ctx, steps[0]!)]);
  const cpu = startCpuMeter(ctx.processes);
  const tallies: Tally[] = [];
  for (const [index, connections] of steps.entries()) {
    if (ctx.signal.aborted) break;
    const tally = await drive(chatWorkload(ctx, connections), stepSeconds, ctx.options.timeoutSeconds, ctx.signal);
    tallies.push(tally);
    ctx.print(formatPart(scenario, `step ${index + 1}/${steps.length}: ${connections} connections`, summarize(tally)));
  }
  const summary = summarize(mergeSequential(tallies));
  ctx.print(formatTotal(scenario, summary));
  ctx.print(formatCpu(scenario, cpu.stop()));
  return evaluate({ summary }, thresholds);
}

/** Streams started at a steady rate, each read to its end. */
export async function streamLoad(ctx: ScenarioContext): Promise<Check[]> {
  const { rate, durationSeconds, scenario, thresholds } = ctx.options;
  await warmUp(ctx, [streamWorkload(ctx, rate)]);
  const cpu = startCpuMeter(ctx.processes);
  const tally = await drive(streamWorkload(ctx, rate), durationSeconds, ctx.options.timeoutSeconds, ctx.signal);
  const summary = summarize(tally);
  ctx.print(formatTotal(scenario, summary));
  ctx.print(formatCpu(scenario, cpu.stop()));
  return evaluate({ summary, targetRate: rate }, thresholds);
}

/** Liveness and readiness probes as fast as they answer, half the connections on each. */
export async function healthLoad(ctx: ScenarioContext): Promise<Check[]> {
  const { connections, durationSeconds, scenario, thresholds } = ctx.options;
  const paths = ['/health/live', '/health/ready'] as const;
  const half = (index: number): number => (index === 0 ? Math.ceil(connections / 2) : Math.floor(connections / 2));
  const workloads = paths.map((path, index) => healthWorkload(ctx, path, half(index)));
  await warmUp(ctx, workloads);
  const cpu = startCpuMeter(ctx.processes);
  const tallies = await together(ctx, workloads, durationSeconds);
  const usage = cpu.stop();
  tallies.forEach((tally, index) => ctx.print(formatPart(scenario, `${paths[index]} (${half(index)} connections)`, summarize(tally))));
  const summary = summarize(mergeConcurrent(tallies));
  ctx.print(formatTotal(scenario, summary));
  ctx.print(formatCpu(scenario, usage));
  return evaluate({ summary }, thresholds);
}

/**
 * Minutes of steady mixed traffic (completions, streams, readiness probes at fixed rates)
 * while the gateway's RSS is read every second; the RSS after warm-up and at the end are
 * each the median of their first and last few samples, so one GC pause does not decide.
 */
export async function soak(ctx: ScenarioContext): Promise<Check[]> {
  const { rate, streamRate, durationSeconds, scenario, thresholds } = ctx.options;
  const source = ctx.rss;
  if (source === undefined) throw new Error('soak needs a source for the gateway RSS');
  const labelled: { label: string; workload: Workload }[] = [
    { label: `completions at ${rate}/s`, workload: chatWorkload(ctx, rate, rate) },
    ...(streamRate > 0 ? [{ label: `streams at ${streamRate}/s`, workload: streamWorkload(ctx, streamRate) }] : []),
    { label: `/health/ready at ${SOAK_HEALTH_RATE}/s`, workload: healthWorkload(ctx, '/health/ready', SOAK_HEALTH_RATE, SOAK_HEALTH_RATE) },
  ];
  const workloads = labelled.map(({ workload }) => workload);
  await warmUp(ctx, workloads);

  const samples: number[] = [];
  let readError: unknown;
  const started = Date.now();
  let nextProgress = started + SOAK_PROGRESS_MS;
  const sample = async (): Promise<void> => {
    try {
      samples.push(await source.read());
    } catch (error) {
      readError ??= error;
    }
    if (Date.now() >= nextProgress && samples.length > 0) {
      nextProgress += SOAK_PROGRESS_MS;
      ctx.print(`[${scenario}] ${Math.round((Date.now() - started) / 1000)} s: gateway RSS ${(samples[samples.length - 1]! / 1024 / 1024).toFixed(1)} MiB`);
    }
  };
  await sample();
  const cpu = startCpuMeter(ctx.processes);
  let sampling = Promise.resolve();
  const timer = setInterval(() => {
    sampling = sampling.then(sample);
  }, ctx.rssIntervalMs ?? 1000);
  let tallies: Tally[];
  try {
    tallies = await together(ctx, workloads, durationSeconds);
  } finally {
    clearInterval(timer);
  }
  const usage = cpu.stop();
  await sampling;
  await sample();
  if (readError !== undefined && samples.length < 2) throw readError;

  tallies.forEach((tally, index) => ctx.print(formatPart(scenario, labelled[index]!.label, summarize(tally))));
  const summary = summarize(mergeConcurrent(tallies));
  ctx.print(formatTotal(scenario, summary));
  ctx.print(formatCpu(scenario, usage));
  const window = Math.max(1, Math.min(RSS_WINDOW, Math.floor(samples.length / 2)));
  const rss: RssComparison = {
    afterWarmupBytes: median(samples.slice(0, window)),
    endBytes: median(samples.slice(-window)),
    peakBytes: Math.max(...samples),
    samples: samples.length,
    source: source.name,
  };
  ctx.print(formatRss(scenario, rss));
  return evaluate({ summary, rss }, thresholds);
}

export const SCENARIO_RUNNERS = { chat_load: chatLoad, stream_load: streamLoad, health_load: healthLoad, soak } as const;
