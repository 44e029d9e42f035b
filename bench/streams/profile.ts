import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { JSON_BODY } from './jsonRate';
import { processCpuSeconds, type RunningChild } from './processes';
import { startGateway, startUpstream, type LoadClient } from './services';
import type { StreamsSettings } from './settings';
import { ms, percentile } from './stats';
import { streamBody } from './streamMatrix';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}

interface CpuProfile {
  readonly endTime: number;
  readonly startTime: number;
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  readonly name: string;
  readonly where: string;
  readonly category: string;
  readonly ms: number;
  /** Share of the profile's busy time (idle excluded). */
  readonly share: number;
}

export interface ProfileSummary {
  /** `streams`: the stream relay at high concurrency (cost per frame); `json`: non-streaming requests (cost per request). */
  readonly kind: 'streams' | 'json';
  readonly what: string;
  readonly file: string;
  readonly busyMs: number;
  readonly idleShare: number;
  readonly gatewayCores: number;
  readonly functions: readonly SelfTime[];
  readonly categories: readonly { readonly category: string; readonly ms: number; readonly share: number }[];
}

const TOP_FUNCTIONS = 20;

/** Where a frame's code comes from: a package, sightline, the gateway, Node itself, or V8. */
export function categoryOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : 'native (V8/libuv bindings)';
  if (url.startsWith('node:')) return 'node core';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') === true ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? 'node_modules');
  }
  if (url.includes('/dist/src/')) return 'sightline (src)';
  if (url.includes('/dist/middleware/')) return 'sightline (middleware)';
  if (url.includes('/dist/gateway/')) return 'gateway';
  return 'other';
}

function shortWhere(frame: CallFrame): string {
  if (frame.url === '') return '';
  const url = frame.url.replace(/^file:\/\//, '');
  const modules = url.lastIndexOf('/node_modules/');
  const dist = url.lastIndexOf('/dist/');
  const short = modules !== -1 ? url.slice(modules + '/node_modules/'.length) : dist !== -1 ? url.slice(dist + 1) : url;
  return `${short}:${frame.lineNumber + 1}`;
}

/**
 * Self time per function and per category from a V8 `.cpuprofile`, counting only the last
 * `lastMs` of it (the measured wave and the shutdown, not the start-up and warm-up).
 */
export function summariseProfile(profile: CpuProfile, lastMs = Infinity): Pick<ProfileSummary, 'busyMs' | 'idleShare' | 'functions' | 'categories'> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  const from = profile.endTime - lastMs * 1000;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i += 1) {
    at += profile.timeDeltas[i] ?? 0;
    if (at < from) continue;
    const id = profile.samples[i] as number;
    const delta = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, delta));
  }
  const functions = new Map<string, { name: string; where: string; category: string; us: number }>();
  let idleUs = 0;
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    totalUs += us;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
    const where = shortWhere(frame);
    const key = `${name} ${where}`;
    const entry = functions.get(key) ?? { name, where, category: categoryOf(frame), us: 0 };
    entry.us += us;
    functions.set(key, entry);
  }
  const busyUs = totalUs - idleUs;
  const categories = new Map<string, number>();
  for (const entry of functions.values()) categories.set(entry.category, (categories.get(entry.category) ?? 0) + entry.us);
  return {
    busyMs: busyUs / 1000,
    idleShare: totalUs === 0 ? 0 : idleUs / totalUs,
    functions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, TOP_FUNCTIONS)
      .map((f) => ({ name: f.name, where: f.where, category: f.category, ms: f.us / 1000, share: f.us / busyUs })),
    categories: [...categories.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([category, us]) => ({ category, ms: us / 1000, share: us / busyUs })),
  };
}

interface ProfiledWork {
  /** What the measured part did, for the report. */
  readonly what: string;
  readonly gatewayCores: number;
}

/**
 * Starts a raw upstream and a gateway under `--cpu-prof` in its own directory, lets `work`
 * warm it up and measure (calling `measuring()` when the measured part starts), stops the
 * gateway so it writes its profile, and summarises the measured part of it.
 */
async function profileRun(
  kind: ProfileSummary['kind'],
  settings: StreamsSettings,
  outDirectory: string,
  work: (gateway: RunningChild, measuring: () => void) => Promise<ProfiledWork>,
): Promise<ProfileSummary> {
  const directory = path.join(outDirectory, kind);
  mkdirSync(directory, { recursive: true });
  const upstream = await startUpstream({ kind: 'raw', timing: 'stream' }, settings);
  try {
    const gateway = await startGateway({ upstreamPort: upstream.port, core: settings.relayCore, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${directory}`] });
    let measuredFrom = performance.now();
    let done: ProfiledWork;
    try {
      done = await work(gateway, () => {
        measuredFrom = performance.now();
      });
    } finally {
      await gateway.stop(30_000);
    }
    const profiledMs = performance.now() - measuredFrom;
    const file = readdirSync(directory)
      .filter((name) => name.endsWith('.cpuprofile'))
      .sort()
      .at(-1);
    if (file === undefined) throw new Error(`the gateway wrote no .cpuprofile into ${directory}`);
    const full = path.join(directory, file);
    const profile = JSON.parse(readFileSync(full, 'utf8')) as CpuProfile;
    return { kind, file: full, ...done, ...summariseProfile(profile, profiledMs) };
  } finally {
    await upstream.stop();
  }
}

/** `streams` concurrent streams (raw upstream) through a gateway under the profiler. */
export function profileGatewayStreams(streams: number, client: LoadClient, settings: StreamsSettings, outDirectory: string): Promise<ProfileSummary> {
  return profileRun('streams', settings, outDirectory, async (gateway, measuring) => {
    const wave = { port: gateway.port, path: '/v1/chat/completions', streams, rampBatch: 0, rampIntervalMs: 0, expectDone: true };
    await client.reset();
    await client.waves({ ...wave, bodies: [streamBody('raw', 20, settings.intervalMs)], waves: 2 }, 120_000);
    const before = processCpuSeconds(gateway.pid);
    measuring();
    const result = await client.waves({ ...wave, bodies: [streamBody('raw', settings.events, settings.intervalMs)], waves: 1 }, 180_000);
    return {
      what:
        `${streams} streams of ${settings.events} frames (raw upstream), one wave after two short warm-up waves: ` +
        `TTFB p50 ${ms(percentile(result.ttfbMs, 50))} ms, max gap p50 ${ms(percentile(result.maxGapMs, 50))} ms under the profiler`,
      gatewayCores: (processCpuSeconds(gateway.pid) - before) / (result.wallMs / 1000),
    };
  });
}

/** Non-streaming completions (raw upstream) through a gateway under the profiler: the cost per request. */
export function profileGatewayJson(settings: StreamsSettings, outDirectory: string): Promise<ProfileSummary> {
  return profileRun('json', settings, outDirectory, async (gateway, measuring) => {
    const options = {
      url: `http://127.0.0.1:${gateway.port}/v1/chat/completions`,
      method: 'POST' as const,
      headers: { 'content-type': 'application/json' },
      body: JSON_BODY,
      connections: settings.jsonConnections,
    };
    await autocannon({ ...options, duration: 2 });
    const before = processCpuSeconds(gateway.pid);
    const started = performance.now();
    measuring();
    const result = await autocannon({ ...options, duration: JSON_PROFILE_SECONDS });
    const seconds = (performance.now() - started) / 1000;
    const cpu = processCpuSeconds(gateway.pid) - before;
    return {
      what:
        `non-streaming completions (raw upstream), autocannon ${settings.jsonConnections} connections for ${JSON_PROFILE_SECONDS} s after a 2 s warm-up: ` +
        `${(result['2xx'] / seconds).toFixed(0)} req/s, ${((cpu * 1e6) / Math.max(1, result['2xx'])).toFixed(0)} µs CPU per request under the profiler`,
      gatewayCores: cpu / seconds,
    };
  });
}

const JSON_PROFILE_SECONDS = 4;
