import { performance } from 'node:perf_hooks';
import { canRaiseNofile, openFilesLimit, processCpuSeconds, resetPeakRss, rssMb, type RunningChild } from './processes';
import { MODEL, startGateway, startNaiveProxy, startUpstream, type LoadClient } from './services';
import type { StreamsSettings } from './settings';
import { percentile } from './stats';
import { streamBody } from './streamMatrix';

/** The gateway opens at most this many connections per competitor (gateway/competitors.ts default). */
export const GATEWAY_SOCKETS_PER_COMPETITOR = 4096;
/** Open files a relay needs: one socket to the client and one to the upstream per stream, plus its own. */
const FDS_PER_STREAM = 2;
const FD_HEADROOM = 1024;
const SLOW_INTERVAL_MS = 1000;
/** 2000 new streams a second: faster than the gateway starts them, slow enough for the listen backlogs. */
const RAMP_BATCH = 200;
const RAMP_INTERVAL_MS = 100;
const RSS_SAMPLE_MS = 250;
/** Frames per slow stream: more than any hold lasts. */
const STREAM_EVENTS = 3600;
/** Streams not receiving this long after the last was sent are given up (counted as failed). */
const OPEN_DEADLINE_MS = 60_000;

export interface SlowSample {
  readonly relay: 'gateway' | 'naive';
  /** `cap`: the gateway with one competitor id, to show its per-competitor connection cap. */
  readonly run: 'main' | 'cap';
  readonly streams: number;
  /** Competitor ids the gateway spread the streams over (all routed to the same upstream). */
  readonly competitorIds: number;
  /** Streams receiving when the hold ended. */
  readonly held: number;
  readonly failed: number;
  readonly failures: Record<string, number>;
  /** Most streams receiving at once. */
  readonly peakOpen: number;
  /** Seconds from the first request until every stream was receiving or had failed (the hold's start). */
  readonly openSeconds: number;
  readonly holdSeconds: number;
  readonly idleRssMb: number;
  /** Highest RSS sampled while the streams were held. */
  readonly holdRssMb: number;
  /** VmHWM over the whole run: opening, hold and closing. */
  readonly peakRssMb: number;
  /** (RSS while held − idle) / streams held. */
  readonly kbPerStream: number;
  readonly relayCores: number;
  readonly ttfbP50Ms: number;
  readonly ttfbP99Ms: number;
  readonly gapP50Ms: number;
  readonly gapP99Ms: number;
  readonly wallSeconds: number;
  /** The relay's soft limit on open files. */
  readonly openFilesLimit: number;
  /** Whether the runner raised it with prlimit. */
  readonly raisedOpenFiles: boolean;
}

/**
 * `streams` slow streams (one frame a second) through a relay, held `holdSeconds` once every one
 * is receiving. The gateway caps each competitor at 4096 connections, so by default the streams
 * are spread over enough competitor ids, all routed to the same upstream; `competitorIds: 1`
 * shows what one competitor does with them.
 */
export async function measureSlowStreams(
  relayKind: 'gateway' | 'naive',
  streams: number,
  holdSeconds: number,
  client: LoadClient,
  settings: StreamsSettings,
  options: { readonly competitorIds?: number } = {},
): Promise<SlowSample> {
  const competitorIds = relayKind === 'naive' ? 1 : (options.competitorIds ?? Math.ceil(streams / GATEWAY_SOCKETS_PER_COMPETITOR));
  const wantedNofile = streams * FDS_PER_STREAM + FD_HEADROOM;
  const nofile = wantedNofile > 20_000 && canRaiseNofile(wantedNofile) ? wantedNofile : undefined;
  const upstream = await startUpstream({ kind: 'raw', timing: 'stream' }, settings);
  const ids = Array.from({ length: competitorIds }, (_, i) => (competitorIds === 1 ? MODEL : `${MODEL}${i}`));
  let relay: RunningChild | undefined;
  try {
    relay =
      relayKind === 'gateway'
        ? await startGateway({ upstreamPort: upstream.port, core: settings.relayCore, competitorIds: ids, nofile })
        : await startNaiveProxy(upstream.port, settings.relayCore, streams, nofile);
    const wave = { port: relay.port, path: '/v1/chat/completions', waves: 1, expectDone: true };
    await client.reset();
    // A few streams first, so the relay has run its stream path before it is measured.
    await client.waves({ ...wave, bodies: ids.map((id) => streamBody('raw', 3, 50, id)), streams: 20, rampBatch: 0, rampIntervalMs: 0 }, 30_000);
    const pid = relay.pid;
    const idleRssMb = rssMb(pid).current;
    resetPeakRss(pid);
    const samples: { readonly at: number; readonly mb: number }[] = [];
    const sentAt = performance.now();
    const sampler = setInterval(() => samples.push({ at: performance.now() - sentAt, mb: rssMb(pid).current }), RSS_SAMPLE_MS);
    const cpuBefore = processCpuSeconds(pid);
    let result;
    try {
      // Streams far longer than the hold: the load generator closes them once all were held `holdSeconds`.
      result = await client.waves(
        {
          ...wave,
          bodies: ids.map((id) => streamBody('raw', STREAM_EVENTS, SLOW_INTERVAL_MS, id)),
          streams,
          rampBatch: RAMP_BATCH,
          rampIntervalMs: RAMP_INTERVAL_MS,
          holdMs: holdSeconds * 1000,
          holdDeadlineMs: OPEN_DEADLINE_MS,
        },
        OPEN_DEADLINE_MS + holdSeconds * 1000 + 60_000,
      );
    } finally {
      clearInterval(sampler);
    }
    const wallSeconds = result.wallMs / 1000;
    const relayCpu = processCpuSeconds(pid) - cpuBefore;
    const held = samples.filter((s) => s.at >= result.holdFromMs && s.at <= result.holdToMs).map((s) => s.mb);
    const holdRssMb = held.length === 0 ? Number.NaN : Math.max(...held);
    const peakRssMb = Math.max(rssMb(pid).peak, ...samples.map((s) => s.mb));
    return {
      relay: relayKind,
      run: options.competitorIds === 1 && relayKind === 'gateway' && streams > GATEWAY_SOCKETS_PER_COMPETITOR ? 'cap' : 'main',
      streams,
      competitorIds,
      held: result.held,
      failed: result.failed,
      failures: result.failures,
      peakOpen: result.peakOpen,
      openSeconds: result.holdFromMs / 1000,
      holdSeconds: (result.holdToMs - result.holdFromMs) / 1000,
      idleRssMb,
      holdRssMb,
      peakRssMb,
      kbPerStream: result.held === 0 ? Number.NaN : ((holdRssMb - idleRssMb) * 1024) / result.held,
      relayCores: relayCpu / wallSeconds,
      ttfbP50Ms: percentile(result.ttfbMs, 50),
      ttfbP99Ms: percentile(result.ttfbMs, 99),
      gapP50Ms: percentile(result.maxGapMs, 50),
      gapP99Ms: percentile(result.maxGapMs, 99),
      wallSeconds,
      openFilesLimit: openFilesLimit(pid),
      raisedOpenFiles: nofile !== undefined,
    };
  } finally {
    await relay?.stop();
    await upstream.stop();
  }
}
