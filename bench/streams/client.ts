import { Agent, request, type ClientRequest, type IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { isClientCommand, type ClientCommand, type ResetDone, type WaveCommand, type WaveResult } from './protocol';

/**
 * The streams bench's load generator, a child of the runner driven over IPC. It opens
 * concurrent POST streams with `http.request` on a keep-alive agent (no socket limit) and
 * records, per stream, the time from the request's start to the first body byte (TTFB) and
 * the longest gap between two body chunks, as they reach this process.
 */

const DONE_TAIL = Buffer.from('data: [DONE]\n\n');
const LF = 0x0a;

/**
 * No socket limit. With a timeout set, Node honours the server's `Keep-Alive: timeout=5` hint
 * and drops an idle connection a second before the server would, so no request is sent on a
 * connection the server is closing (ECONNRESET).
 */
function newAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: Infinity, timeout: 60_000, scheduling: 'lifo', noDelay: true });
}

let agent = newAgent();

interface Accumulator {
  readonly ttfbMs: number[];
  readonly maxGapMs: number[];
  readonly durationMs: number[];
  completed: number;
  failed: number;
  held: number;
  readonly failures: Record<string, number>;
  frames: number;
  bytes: number;
  peakOpen: number;
  allOpenMs: number;
  readonly startedAt: number;
  holdFromMs: number;
  holdToMs: number;
}

/** `\n\n` frame ends in a chunk; `lastWasLf` carries a frame end split across two chunks. */
function countFrames(chunk: Buffer, lastWasLf: boolean): number {
  let count = lastWasLf && chunk[0] === LF ? 1 : 0;
  for (let at = chunk.indexOf('\n\n'); at !== -1; at = chunk.indexOf('\n\n', at + 2)) count += 1;
  return count;
}

function endsWithDone(previous: Buffer | undefined, last: Buffer | undefined): boolean {
  if (last === undefined) return false;
  const tail = last.length >= DONE_TAIL.length || previous === undefined ? last : Buffer.concat([previous, last]);
  return tail.length >= DONE_TAIL.length && tail.subarray(tail.length - DONE_TAIL.length).equals(DONE_TAIL);
}

/** How a stream ended: completed, closed by the client after a hold, or failed (the description). */
type Ending = { readonly kind: 'completed' } | { readonly kind: 'held' } | { readonly kind: 'failed'; readonly what: string };
const COMPLETED: Ending = { kind: 'completed' };
const HELD: Ending = { kind: 'held' };
const failed = (what: string): Ending => ({ kind: 'failed', what });

/**
 * One wave: `command.streams` streams opened in ramp batches, held for `holdMs` once every one
 * is receiving (or the hold deadline passes), done when every stream has ended.
 */
class Wave {
  readonly command: WaveCommand;
  readonly acc: Accumulator;
  /** Streams still running: the end of the hold closes them. */
  readonly running = new Set<WaveStream>();
  private readonly bodies: readonly Buffer[];
  private readonly resolve: () => void;
  private opened = 0;
  private ended = 0;
  /** Streams receiving now. */
  private streaming = 0;
  /** Since when every stream of the wave has been receiving, while they all still are. */
  private allOpenAt: number | undefined;
  private holdStarted = false;
  private deadline: NodeJS.Timeout | undefined;

  constructor(command: WaveCommand, acc: Accumulator, resolve: () => void) {
    this.command = command;
    this.acc = acc;
    this.bodies = command.bodies.map((text) => Buffer.from(text));
    this.resolve = resolve;
  }

  /** Opens the next batch, and again after the ramp interval until every stream is open; then arms the hold. */
  readonly launch = (): void => {
    const { command } = this;
    const batch = command.rampBatch > 0 ? command.rampBatch : command.streams;
    const count = Math.min(batch, command.streams - this.opened);
    for (let i = 0; i < count; i += 1) this.openOne();
    if (this.opened < command.streams) {
      setTimeout(this.launch, command.rampIntervalMs);
      return;
    }
    if (command.holdMs > 0) {
      this.deadline = setTimeout(() => {
        if (!this.holdStarted) this.startHold();
      }, command.holdDeadlineMs);
      this.maybeHold();
    }
  };

  /** A stream's first body byte. */
  streamReceiving(now: number): void {
    this.streaming += 1;
    if (this.streaming > this.acc.peakOpen) this.acc.peakOpen = this.streaming;
    if (this.streaming === this.command.streams) this.allOpenAt = now;
    this.maybeHold();
  }

  /** A receiving stream stops receiving: the time all were receiving at once ends with it. */
  streamLeft(): void {
    if (this.allOpenAt !== undefined) {
      this.acc.allOpenMs += performance.now() - this.allOpenAt;
      this.allOpenAt = undefined;
    }
    this.streaming -= 1;
  }

  /** A stream has settled, whatever its ending. */
  streamEnded(): void {
    this.ended += 1;
    if (this.ended === this.command.streams) {
      clearTimeout(this.deadline);
      this.resolve();
    } else {
      this.maybeHold();
    }
  }

  private openOne(): void {
    this.opened += 1;
    const body = this.bodies[(this.opened - 1) % this.bodies.length] as Buffer;
    this.running.add(new WaveStream(this, body));
  }

  private maybeHold(): void {
    const { command } = this;
    if (command.holdMs <= 0 || this.holdStarted || this.opened < command.streams || this.streaming + this.ended < command.streams) return;
    this.startHold();
  }

  private startHold(): void {
    this.holdStarted = true;
    clearTimeout(this.deadline);
    this.acc.holdFromMs = performance.now() - this.acc.startedAt;
    setTimeout(() => {
      this.acc.holdToMs = performance.now() - this.acc.startedAt;
      for (const stream of [...this.running]) stream.close();
    }, this.command.holdMs);
  }
}

/** One POST stream of a wave, sent as it is made: its TTFB, its longest gap between chunks, the frames and bytes it received, how it ended. */
class WaveStream {
  private readonly wave: Wave;
  private readonly req: ClientRequest;
  private readonly start: number;
  private firstAt = -1;
  private lastAt = 0;
  private maxGap = 0;
  private lastWasLf = false;
  private previous: Buffer | undefined;
  private last: Buffer | undefined;
  private settled = false;
  /** Counted among the wave's receiving streams. */
  private counted = false;

  constructor(wave: Wave, body: Buffer) {
    this.wave = wave;
    const { command } = wave;
    const headers = { 'content-type': 'application/json', 'content-length': body.byteLength, accept: 'text/event-stream' };
    this.start = performance.now();
    this.req = request({ host: '127.0.0.1', port: command.port, method: 'POST', path: command.path, agent, headers });
    this.req.on('response', (res) => this.onResponse(res));
    this.req.on('error', (error: NodeJS.ErrnoException) => this.settle(failed(error.code ?? error.message)));
    this.req.end(body);
  }

  /** The hold is over: held if it was receiving, failed if not yet. */
  close(): void {
    this.settle(this.firstAt < 0 ? failed('not receiving when the hold ended') : HELD);
    this.req.destroy();
  }

  private onResponse(res: IncomingMessage): void {
    const status = res.statusCode ?? 0;
    if (status !== 200) {
      res.resume();
      res.on('close', () => this.settle(failed(`HTTP ${status}`)));
      return;
    }
    res.on('data', this.onData);
    res.on('end', () => {
      if (this.firstAt < 0) this.settle(failed('empty body'));
      else if (this.wave.command.expectDone && !endsWithDone(this.previous, this.last)) this.settle(failed('ended without [DONE]'));
      else this.settle(COMPLETED);
    });
    res.on('close', () => this.settle(failed('closed before the end')));
    res.on('error', () => undefined);
  }

  /** Per chunk: no allocation here, the clock read first. */
  private readonly onData = (chunk: Buffer): void => {
    const now = performance.now();
    if (this.firstAt < 0) {
      this.firstAt = now;
      this.counted = true;
      this.wave.streamReceiving(now);
    } else if (now - this.lastAt > this.maxGap) {
      this.maxGap = now - this.lastAt;
    }
    this.lastAt = now;
    const { acc } = this.wave;
    acc.frames += countFrames(chunk, this.lastWasLf);
    acc.bytes += chunk.byteLength;
    this.lastWasLf = chunk[chunk.length - 1] === LF;
    this.previous = this.last;
    this.last = chunk;
  };

  private settle(ending: Ending): void {
    if (this.settled) return;
    this.settled = true;
    this.wave.running.delete(this);
    if (this.counted) {
      this.counted = false;
      this.wave.streamLeft();
    }
    const { acc } = this.wave;
    if (ending.kind === 'failed') {
      acc.failed += 1;
      acc.failures[ending.what] = (acc.failures[ending.what] ?? 0) + 1;
    } else {
      if (ending.kind === 'completed') acc.completed += 1;
      else acc.held += 1;
      acc.ttfbMs.push(this.firstAt - this.start);
      acc.maxGapMs.push(this.maxGap);
      acc.durationMs.push(performance.now() - this.start);
    }
    this.wave.streamEnded();
  }
}

function runWave(command: WaveCommand, acc: Accumulator): Promise<void> {
  return new Promise((resolve) => new Wave(command, acc, resolve).launch());
}

async function runWaves(command: WaveCommand): Promise<WaveResult> {
  const acc: Accumulator = {
    ttfbMs: [],
    maxGapMs: [],
    durationMs: [],
    completed: 0,
    failed: 0,
    failures: {},
    frames: 0,
    bytes: 0,
    peakOpen: 0,
    allOpenMs: 0,
    held: 0,
    startedAt: performance.now(),
    holdFromMs: Number.NaN,
    holdToMs: Number.NaN,
  };
  const cpuBefore = process.cpuUsage();
  const { startedAt } = acc;
  for (let wave = 0; wave < command.waves; wave += 1) await runWave(command, acc);
  const wallMs = performance.now() - startedAt;
  const cpu = process.cpuUsage(cpuBefore);
  const { startedAt: _startedAt, ...result } = acc;
  return { type: 'result', id: command.id, ...result, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function onCommand(message: unknown): void {
  if (!isClientCommand(message)) return;
  const command: ClientCommand = message;
  if (command.type === 'stop') {
    agent.destroy();
    process.exit(0);
  }
  if (command.type === 'reset') {
    agent.destroy();
    agent = newAgent();
    process.send?.({ type: 'reset-done', id: command.id } satisfies ResetDone);
    return;
  }
  void runWaves(command).then((result) => process.send?.(result));
}

process.on('message', onCommand);
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'listening', port: 0 });
