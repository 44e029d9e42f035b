/** Messages between the streams runner and its child processes (Node IPC). */

/** A child that serves HTTP says where, once it listens. */
export interface ListeningMessage {
  readonly type: 'listening';
  readonly port: number;
}

export interface FailedMessage {
  readonly type: 'failed';
  readonly message: string;
}

/** What the runner asks the load generator to do: `waves` rounds of `streams` concurrent POSTs. */
export interface WaveCommand {
  readonly type: 'wave';
  readonly id: number;
  readonly port: number;
  readonly path: string;
  /** JSON bodies, already serialised; stream i sends `bodies[i % bodies.length]`. */
  readonly bodies: readonly string[];
  readonly streams: number;
  /** Waves run one after the other; a wave ends when its last stream does. */
  readonly waves: number;
  /** Streams opened at once; the rest follow `rampIntervalMs` apart (0: all at once). */
  readonly rampBatch: number;
  readonly rampIntervalMs: number;
  /** A stream is complete when it answered 200, ended, and its last frame was `data: [DONE]`. */
  readonly expectDone: boolean;
  /**
   * 0: streams run to their end. Otherwise, once every stream of the wave is receiving (or has
   * failed), they are held this long and then closed by the client, counted as `held`. Streams
   * not receiving `holdDeadlineMs` after the last one was sent are closed then as failures.
   */
  readonly holdMs: number;
  readonly holdDeadlineMs: number;
}

/** Closes the load generator's keep-alive connections (a fresh pool for the next measurement). */
export interface ResetCommand {
  readonly type: 'reset';
  readonly id: number;
}

export interface StopCommand {
  readonly type: 'stop';
}

export type ClientCommand = WaveCommand | ResetCommand | StopCommand;

/** Per stream, completed ones only: time to the first body byte and the longest gap between body chunks. */
export interface WaveResult {
  readonly type: 'result';
  readonly id: number;
  readonly ttfbMs: number[];
  readonly maxGapMs: number[];
  readonly durationMs: number[];
  readonly completed: number;
  readonly failed: number;
  /** Distinct failure descriptions with their counts. */
  readonly failures: Record<string, number>;
  /** SSE frames (`\n\n`-terminated) received over all streams, completed or not. */
  readonly frames: number;
  readonly bytes: number;
  /** From the first request to the end of the last stream, all waves. */
  readonly wallMs: number;
  /** Most streams open at once (request sent, response not ended). */
  readonly peakOpen: number;
  /** Time during which every stream of a wave was open at once (0 when they never all were). */
  readonly allOpenMs: number;
  /** The load generator's own CPU time over the waves. */
  readonly cpuMs: number;
  /** Streams still receiving when a hold ended (closed by the client; their TTFB and max gap are counted). */
  readonly held: number;
  /** When the hold started and ended, in ms after the first request (NaN without a hold). */
  readonly holdFromMs: number;
  readonly holdToMs: number;
}

export interface ResetDone {
  readonly type: 'reset-done';
  readonly id: number;
}

export type ChildMessage = ListeningMessage | FailedMessage | WaveResult | ResetDone;

export function isChildMessage(value: unknown): value is ChildMessage {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'listening' || type === 'failed' || type === 'result' || type === 'reset-done';
}

export function isClientCommand(value: unknown): value is ClientCommand {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'wave' || type === 'reset' || type === 'stop';
}

/** The extra request field the raw upstream reads (the gateway and the naive proxy pass bodies through). */
export interface RawStreamSpec {
  /** `data:` frames before `data: [DONE]`. */
  readonly events: number;
  readonly intervalMs: number;
}

export const RAW_SPEC_FIELD = 'bench_stream';
