import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Observability } from '../middleware';
import type { GatewayConfig } from './config';
import type { GatewayMetrics } from './gatewayMetrics';
import { unrefTimer } from './unrefTimer';
import type { UpstreamCallLog } from './upstreamCallLog';

/** Why a stream was cut for its client: it read nothing for too long, or too much waited for it. */
export type CutReason = 'slow_client' | 'buffer_limit';

/** What the writer holds back while the client catches up. */
export interface PausableSource {
  pause(): void;
  resume(): void;
}

/**
 * The client's side of a stream: headers not sent yet, open, waiting for the client to take
 * what its buffer holds (the source paused meanwhile), or over.
 */
export type SseClientWriterState = 'uncommitted' | 'open' | 'waiting_for_drain' | 'ended';

export interface SseClientWriterOptions {
  readonly obs: Observability;
  readonly config: GatewayConfig;
  readonly metrics: GatewayMetrics;
  readonly log: UpstreamCallLog;
  readonly competitorId: string;
  readonly source: PausableSource;
  /** The client does not keep up: the stream must end now, with `message` in its last event. */
  readonly onCut: (reason: CutReason, message: string) => void;
}

const SSE_HEADERS = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
});
const PING = ': ping\n\n';
/** Grace for the final error event to reach a client cut for being slow, before the socket is destroyed. */
const CUT_GRACE_MS = 1000;

/** One final SSE event the openai client raises as an APIError instead of ending as if complete. */
export function errorEvent(message: string, type: string, code: string, requestId: string | undefined): string {
  return `data: ${JSON.stringify({ error: { message, type, param: null, code, request_id: requestId } })}\n\n`;
}

/**
 * Writes a relayed stream to its client: the SSE headers with the first write, whole frames,
 * keep-alive pings while the source is silent. A write the socket could not take at once
 * pauses the source until the client drains; a client that reads nothing for
 * `slowClientTimeoutMs`, or leaves more than `maxBufferedBytes` waiting, is cut.
 */
export class SseClientWriter {
  private state: SseClientWriterState = 'uncommitted';
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private slowClientTimer: NodeJS.Timeout | undefined;
  private lastWriteAt: number | undefined;
  private readonly res: ServerResponse;
  private readonly options: SseClientWriterOptions;
  private readonly config: GatewayConfig;
  private readonly labels: { readonly competitor: string };

  constructor(res: ServerResponse, options: SseClientWriterOptions) {
    this.res = res;
    this.options = options;
    this.config = options.config;
    this.labels = { competitor: options.competitorId };
  }

  /** Whether the client's headers went: from then on a failure can only end the stream. */
  get committed(): boolean {
    return this.res.headersSent;
  }

  /** Pings the client whenever nothing was written for `keepaliveIntervalMs`. */
  startKeepalive(): void {
    this.keepaliveTimer = unrefTimer(this.onKeepaliveDue, this.config.keepaliveIntervalMs);
  }

  /** Writes one whole frame, the headers first if need be; false when it waits in memory, to be given to `afterWrite`. */
  write(frame: Buffer | string): boolean {
    if (this.state === 'uncommitted') this.commit();
    this.noteGap();
    return this.res.write(frame);
  }

  /** After a frame went out: the next ping waits its interval again, and a full buffer pauses the source or cuts the stream. */
  afterWrite(flushed: boolean): void {
    this.keepaliveTimer?.refresh();
    if (!flushed) this.backpressure();
  }

  /** Ends the client's response (the headers first if need be), with a last event of the gateway's own if given. */
  end(tail?: string): void {
    if (this.state === 'uncommitted') this.commit();
    this.stop();
    this.res.end(tail);
  }

  /** Stops pinging and waiting for drain, leaving the response as it is: the client left, or is answered otherwise. */
  stop(): void {
    this.state = 'ended';
    clearTimeout(this.keepaliveTimer);
    clearTimeout(this.slowClientTimer);
    this.res.off('drain', this.onDrain);
  }

  private commit(): void {
    this.state = 'open';
    this.res.writeHead(200, SSE_HEADERS);
  }

  private backpressure(): void {
    if (this.res.writableLength > this.config.maxBufferedBytes) {
      this.cut('buffer_limit');
      return;
    }
    if (this.state === 'waiting_for_drain') return;
    this.state = 'waiting_for_drain';
    this.options.source.pause();
    this.slowClientTimer = unrefTimer(this.onSlowClient, this.config.slowClientTimeoutMs);
    this.res.once('drain', this.onDrain);
  }

  private readonly onDrain = (): void => {
    if (this.state !== 'waiting_for_drain') return;
    this.state = 'open';
    clearTimeout(this.slowClientTimer);
    this.keepaliveTimer?.refresh();
    this.options.source.resume();
  };

  private readonly onKeepaliveDue = (): void => {
    if (this.state === 'ended') return;
    // A client that has not taken the last write needs no ping; the slow-client timer watches it.
    if (this.state === 'waiting_for_drain') {
      this.keepaliveTimer?.refresh();
      return;
    }
    this.options.metrics.keepalivesSent.inc(this.labels);
    this.afterWrite(this.write(PING));
  };

  private readonly onSlowClient = (): void => this.cut('slow_client');

  /** The client does not keep up: cut the stream, so what it holds stays bounded. */
  private cut(reason: CutReason): void {
    if (this.state === 'ended') return;
    const { obs, metrics, log, competitorId } = this.options;
    const buffered = this.res.writableLength;
    metrics.streamOverflows.inc(this.labels);
    log.say('warn', 'stream cut', { competitor_id: competitorId, reason, buffered_bytes: buffered });
    obs.events.emit('stream.cut', { buffered_bytes: buffered }, { competitor: competitorId, reason });
    const { slowClientTimeoutMs, maxBufferedBytes } = this.config;
    this.options.onCut(reason, reason === 'slow_client' ? `the client read nothing for ${slowClientTimeoutMs} ms` : `more than ${maxBufferedBytes} bytes waited for the client`);
    const res = this.res;
    const destroyTimer = unrefTimer(() => res.destroy(), Math.min(CUT_GRACE_MS, slowClientTimeoutMs));
    res.once('close', () => clearTimeout(destroyTimer));
  }

  /** A gap over the contract is logged as it ends, so the request's timeline shows where it was. */
  private noteGap(): void {
    const now = performance.now();
    const gap = this.lastWriteAt === undefined ? 0 : now - this.lastWriteAt;
    this.lastWriteAt = now;
    const { contractGapMs } = this.config;
    if (gap > contractGapMs) this.options.log.say('warn', 'gap over contract', { competitor_id: this.options.competitorId, gap_ms: Math.round(gap), contract_gap_ms: contractGapMs });
  }
}
