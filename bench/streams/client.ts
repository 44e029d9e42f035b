import { Agent, request } from 'node:http';
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

function runWave(command: WaveCommand, acc: Accumulator): Promise<void> {
  const bodies = command.bodies.map((text) => Buffer.from(text));
  return new Promise((resolve) => {
    let opened = 0;
    let ended = 0;
    let streaming = 0;
    let allOpenAt: number | undefined;
    let holdStarted = false;
    let deadline: NodeJS.Timeout | undefined;
    /** Closes a stream that is still running, as held (receiving) or failed (not yet). */
    const running = new Set<() => void>();

    const finished = (): void => {
      ended += 1;
      if (ended === command.streams) {
        clearTimeout(deadline);
        resolve();
      } else {
        maybeHold();
      }
    };
    const closeAll = (): void => {
      for (const close of [...running]) close();
    };
    function maybeHold(): void {
      if (command.holdMs <= 0 || holdStarted || opened < command.streams || streaming + ended < command.streams) return;
      startHold();
    }
    function startHold(): void {
      holdStarted = true;
      clearTimeout(deadline);
      acc.holdFromMs = performance.now() - acc.startedAt;
      setTimeout(() => {
        acc.holdToMs = performance.now() - acc.startedAt;
        closeAll();
      }, command.holdMs);
    }

    function openOne(): void {
      opened += 1;
      const body = bodies[(opened - 1) % bodies.length] as Buffer;
      const headers = { 'content-type': 'application/json', 'content-length': body.byteLength, accept: 'text/event-stream' };
      const start = performance.now();
      let firstAt = -1;
      let lastAt = 0;
      let maxGap = 0;
      let lastWasLf = false;
      let previous: Buffer | undefined;
      let last: Buffer | undefined;
      let settled = false;
      let counted = false;
      const leave = (): void => {
        if (!counted) return;
        counted = false;
        if (allOpenAt !== undefined) {
          acc.allOpenMs += performance.now() - allOpenAt;
          allOpenAt = undefined;
        }
        streaming -= 1;
      };
      const settle = (ending: Ending): void => {
        if (settled) return;
        settled = true;
        running.delete(close);
        leave();
        if (ending.kind === 'failed') {
          acc.failed += 1;
          acc.failures[ending.what] = (acc.failures[ending.what] ?? 0) + 1;
        } else {
          if (ending.kind === 'completed') acc.completed += 1;
          else acc.held += 1;
          acc.ttfbMs.push(firstAt - start);
          acc.maxGapMs.push(maxGap);
          acc.durationMs.push(performance.now() - start);
        }
        finished();
      };
      const req = request({ host: '127.0.0.1', port: command.port, method: 'POST', path: command.path, agent, headers });
      function close(): void {
        settle(firstAt < 0 ? failed('not receiving when the hold ended') : HELD);
        req.destroy();
      }
      running.add(close);
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          res.resume();
          res.on('close', () => settle(failed(`HTTP ${status}`)));
          return;
        }
        res.on('data', (chunk: Buffer) => {
          const now = performance.now();
          if (firstAt < 0) {
            firstAt = now;
            counted = true;
            streaming += 1;
            if (streaming > acc.peakOpen) acc.peakOpen = streaming;
            if (streaming === command.streams) allOpenAt = now;
            maybeHold();
          } else if (now - lastAt > maxGap) {
            maxGap = now - lastAt;
          }
          lastAt = now;
          acc.frames += countFrames(chunk, lastWasLf);
          acc.bytes += chunk.byteLength;
          lastWasLf = chunk[chunk.length - 1] === LF;
          previous = last;
          last = chunk;
        });
        res.on('end', () => {
          if (firstAt < 0) settle(failed('empty body'));
          else if (command.expectDone && !endsWithDone(previous, last)) settle(failed('ended without [DONE]'));
          else settle(COMPLETED);
        });
        res.on('close', () => settle(failed('closed before the end')));
        res.on('error', () => undefined);
      });
      req.on('error', (error: NodeJS.ErrnoException) => settle(failed(error.code ?? error.message)));
      req.end(body);
    }

    const launch = (): void => {
      const batch = command.rampBatch > 0 ? command.rampBatch : command.streams;
      const count = Math.min(batch, command.streams - opened);
      for (let i = 0; i < count; i += 1) openOne();
      if (opened < command.streams) {
        setTimeout(launch, command.rampIntervalMs);
        return;
      }
      if (command.holdMs > 0) {
        deadline = setTimeout(() => {
          if (!holdStarted) startHold();
        }, command.holdDeadlineMs);
        maybeHold();
      }
    };
    launch();
  });
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
