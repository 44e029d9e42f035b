/**
 * The sandbox child: reads one request line on stdin, runs the tool, writes progress lines
 * and one result line on stdout, logs JSON lines on stderr, and exits. One process per call.
 *
 * It must start fast, so it imports only node builtins, ./calc and ./protocol (not sightline:
 * its trace ids come from TRACEPARENT through a small regex).
 */
import { performance } from 'node:perf_hooks';
import { evaluate } from './calc';
import {
  createLineSplitter,
  encodeLine,
  EXIT_FATAL,
  parseRequestLine,
  type ChildMessage,
  type ErrorDetails,
  type SandboxRequest,
} from './protocol';

type ToolArguments = SandboxRequest['arguments'];
type Progress = (message: string) => void;

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
const MAX_SLEEP_MS = 60_000;
const PROGRESS_INTERVAL_MS = 500;
/** The pool closed our stdout (it is gone or gave up on us): nobody can read an answer. */
const EXIT_PARENT_GONE = 75;

const traceIds = traceIdsOf(process.env.TRACEPARENT);
const parentPid = process.ppid;
let current: { callId?: string; tool?: string } = {};

function traceIdsOf(traceparent: string | undefined): { trace_id?: string; span_id?: string } {
  const match = traceparent === undefined ? null : TRACEPARENT.exec(traceparent.trim());
  if (match === null) return {};
  return { trace_id: match[1] as string, span_id: match[2] as string };
}

function log(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields: Readonly<Record<string, unknown>> = {}): void {
  const line = {
    timestamp: new Date().toISOString(),
    level,
    message,
    service: 'sandbox',
    ...traceIds,
    call_id: current.callId,
    tool: current.tool,
    pid: process.pid,
    ...fields,
  };
  process.stderr.write(`${JSON.stringify(line)}\n`);
}

function write(message: ChildMessage): void {
  process.stdout.write(encodeLine(message));
}

function errorDetails(error: unknown): ErrorDetails {
  if (error instanceof Error) return error.stack === undefined ? { message: error.message } : { message: error.message, stack: error.stack };
  return { message: String(error) };
}

function dieFatally(error: unknown): void {
  const details = errorDetails(error);
  try {
    log('error', 'sandbox fatal error', { error: details.message, stack: details.stack });
    process.stdout.write(encodeLine({ type: 'fatal', error: details }), () => process.exit(EXIT_FATAL));
  } catch {
    process.exit(EXIT_FATAL);
  }
}

async function runTool(tool: string, args: ToolArguments, progress: Progress): Promise<unknown> {
  switch (tool) {
    case 'calc':
      return evaluate(stringArgument(args, 'expression'));
    case 'echo':
      return stringArgument(args, 'text');
    case 'sleep':
      return sleep(args, progress);
    default:
      // The request may offer user-defined tools the sandbox cannot run: answer deterministically.
      return { tool, arguments: args, simulated: true };
  }
}

function stringArgument(args: ToolArguments, name: string): string {
  const value = args[name];
  if (typeof value !== 'string') throw new TypeError(`argument "${name}" must be a string, got ${value === null ? 'null' : typeof value}`);
  return value;
}

function sleep(args: ToolArguments, progress: Progress): Promise<{ slept_ms: number }> {
  const ms = args.ms;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > MAX_SLEEP_MS) {
    throw new RangeError(`argument "ms" must be a number from 0 to ${MAX_SLEEP_MS}, got ${JSON.stringify(ms) ?? 'nothing'}`);
  }
  const started = performance.now();
  return new Promise((resolve) => {
    let ticks = 0;
    const ticker = setInterval(function reportSleepProgress() {
      // Orphaned (the pool's process died): nobody will read the answer.
      if (process.ppid !== parentPid) process.exit(EXIT_PARENT_GONE);
      ticks += 1;
      progress(`sleeping, ${Math.min(ticks * PROGRESS_INTERVAL_MS, ms)} of ${ms} ms`);
    }, PROGRESS_INTERVAL_MS);
    setTimeout(function wakeUp() {
      clearInterval(ticker);
      resolve({ slept_ms: Math.round(performance.now() - started) });
    }, ms);
  });
}

async function serve(line: string): Promise<void> {
  const request = parseRequestLine(line);
  current = { callId: request.id, tool: request.tool };
  log('info', 'sandbox call started');
  const started = performance.now();
  const progress: Progress = (message) => write({ id: request.id, type: 'progress', message });
  let ok = true;
  try {
    const output = await runTool(request.tool, request.arguments, progress);
    write({ id: request.id, type: 'result', ok: true, output: output === undefined ? null : output });
  } catch (error) {
    ok = false;
    write({ id: request.id, type: 'result', ok: false, error: errorDetails(error) });
  }
  log('info', 'sandbox call finished', { duration_ms: Math.round((performance.now() - started) * 1000) / 1000, ok });
}

function main(): void {
  process.on('uncaughtException', dieFatally);
  process.on('unhandledRejection', dieFatally);
  process.stdout.on('error', () => process.exit(EXIT_PARENT_GONE));
  process.stderr.on('error', () => undefined);

  let served = false;
  const splitter = createLineSplitter({
    onLine(line) {
      if (served || line.trim() === '') return;
      served = true;
      // One request per process: nothing more is read, and stdin no longer keeps us alive.
      process.stdin.destroy();
      serve(line).then(
        () => {
          process.exitCode = 0;
        },
        dieFatally,
      );
    },
    onLineTooLong() {
      served = true;
      process.stdin.destroy();
      dieFatally(new RangeError('request line is too long'));
    },
  });
  process.stdin.on('data', (chunk: Buffer) => splitter.push(chunk));
  process.stdin.on('end', () => {
    splitter.end();
    if (!served) dieFatally(new Error('stdin ended without a request line'));
  });
}

// Only as a program: a test importing this file must not start reading its own stdin.
if (require.main === module) main();
