import { performance } from 'node:perf_hooks';
import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';
import { DEFAULT_MAX_FRAME_BYTES } from './sseFrameAssembler';

/**
 * How a stream ended: `completed` (the response was ended), `client_aborted` (the client went
 * away first), or `upstream_error` or `timeout` (marked with `fail()` before the end).
 */
export type StreamOutcome = 'completed' | 'client_aborted' | 'upstream_error' | 'timeout';

/** What one stream looked like from the client's side, in milliseconds. */
export interface StreamFigures {
  /** The upstream label: a configured upstream name, `other` for an unknown one, `none` when none was given. */
  readonly upstream: string;
  /** How the stream ended. */
  readonly outcome: StreamOutcome;
  /** Request arrival to the first event carrying content; undefined when none was written. */
  readonly ttftMs: number | undefined;
  /** Longest silence between frames, keep-alive comments counting as frames (and the silence before the end). */
  readonly maxGapMs: number;
  /** The same ignoring keep-alive comments: the silence a reader of the content saw. */
  readonly maxContentGapMs: number;
  /** Data events written. */
  readonly events: number;
  /** Comment frames (`: ping`) written. */
  readonly keepalives: number;
  /** Body bytes written to the response, keep-alive comments included. */
  readonly bytes: number;
  /** Request arrival to the end of the stream (finished or aborted). */
  readonly durationMs: number;
  /** What `fail()` said about an upstream_error or timeout. */
  readonly reason: string | undefined;
}

export interface StreamObservationOptions {
  /** Label of the upstream feeding the stream; already bounded by the caller. */
  readonly upstream: string;
  /** When the request arrived, on `now`'s clock. */
  readonly startedAt: number;
  /** Whether a data event carries content (counts for time to first event). Default: any but `[DONE]`. */
  readonly isContent?: (event: EventSourceMessage) => boolean;
  /**
   * Characters an unfinished line or event may reach while it is parsed (default 1 MiB).
   * Beyond, the stream is no longer parsed (its figures stop there) and `onFrameTooLarge` is
   * called; the bytes still reach the client, only the observation gives up.
   */
  readonly maxFrameBytes?: number;
  readonly onFrameTooLarge?: () => void;
  readonly now?: () => number;
  /** Called once, with the final figures. */
  readonly onEnd?: (figures: StreamFigures) => void;
}

/**
 * One stream being observed, as `observeStream()` returns it: bytes are fed to it as they are
 * written, and it ends once with its figures.
 */
export interface StreamObservation {
  /** The upstream label its figures and metrics carry (`other` for an unknown name, `none` without one). */
  readonly upstream: string;
  /** Feeds bytes written to the client. */
  written(chunk: string | Uint8Array): void;
  /** Marks the stream as ended by the upstream failing or a timeout, before it is closed. */
  fail(outcome: 'upstream_error' | 'timeout', reason?: string): void;
  /** Ends the observation (idempotent): `completed` when the response was ended, else `client_aborted` unless failed. */
  finish(responseEnded: boolean): StreamFigures;
  /** Whether `finish` has run. */
  readonly finished: boolean;
}

const notDone = (event: EventSourceMessage): boolean => event.data !== '[DONE]';

/**
 * Follows a Server-Sent-Events stream as it is written, frame by frame: time to the first
 * event with content, the longest gap between frames (with and without keep-alives),
 * events, bytes. The parser only reads; the bytes go to the client unchanged.
 */
export function createStreamObservation(options: StreamObservationOptions): StreamObservation {
  const { upstream, startedAt, isContent = notDone, now = () => performance.now(), onEnd, onFrameTooLarge } = options;
  const decoder = new TextDecoder();
  let ttftMs: number | undefined;
  let lastFrameAt: number | undefined;
  let lastContentAt: number | undefined;
  let maxGapMs = 0;
  let maxContentGapMs = 0;
  let events = 0;
  let keepalives = 0;
  let bytes = 0;
  let failure: { outcome: 'upstream_error' | 'timeout'; reason: string | undefined } | undefined;
  let figures: StreamFigures | undefined;
  let parsing = true;

  const frame = (at: number): void => {
    if (lastFrameAt !== undefined) maxGapMs = Math.max(maxGapMs, at - lastFrameAt);
    lastFrameAt = at;
  };
  const parser: EventSourceParser = createParser({
    onEvent(event) {
      const at = now();
      frame(at);
      events += 1;
      if (!isContent(event)) return;
      if (lastContentAt !== undefined) maxContentGapMs = Math.max(maxContentGapMs, at - lastContentAt);
      lastContentAt = at;
      ttftMs ??= at - startedAt;
    },
    onComment() {
      frame(now());
      keepalives += 1;
    },
    onError(error) {
      if (error.type !== 'max-buffer-size-exceeded') return;
      parsing = false;
      onFrameTooLarge?.();
    },
    maxBufferSize: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
  });

  return {
    upstream,
    get finished() {
      return figures !== undefined;
    },
    written(chunk) {
      if (figures !== undefined) return;
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      if (parsing) parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    },
    fail(outcome, reason) {
      if (figures === undefined && failure === undefined) failure = { outcome, reason };
    },
    finish(responseEnded) {
      if (figures !== undefined) return figures;
      const endedAt = now();
      // A stream cut off by silence (a stall, then an abort or a timeout) had that silence as its last gap.
      if (lastFrameAt !== undefined) maxGapMs = Math.max(maxGapMs, endedAt - lastFrameAt);
      if (lastContentAt !== undefined) maxContentGapMs = Math.max(maxContentGapMs, endedAt - lastContentAt);
      const outcome: StreamOutcome = failure?.outcome ?? (responseEnded ? 'completed' : 'client_aborted');
      figures = Object.freeze({
        upstream,
        outcome,
        ttftMs,
        maxGapMs,
        maxContentGapMs,
        events,
        keepalives,
        bytes,
        durationMs: endedAt - startedAt,
        reason: failure?.reason,
      });
      onEnd?.(figures);
      return figures;
    },
  };
}
