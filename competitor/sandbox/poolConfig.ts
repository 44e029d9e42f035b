import path from 'node:path';
import type { Tracer } from '@opentelemetry/api';
import type { EventBus, SightlineLogger, SightlineMetrics } from '../../src';
import { defaultCommand, type SandboxCommand } from './command';
import { isRecord } from './protocol';
import { quote } from './quote';
import type { SpawnSandboxChild } from './spawnChild';

/** What `createSandboxPool` takes: the pool's settings (all optional) and what it reports to (required). */
export interface SandboxPoolOptions {
  /** `pool` in events and logs. Default `sandbox`. */
  readonly name?: string;
  /** Children running at once. Default 4. */
  readonly size?: number;
  /** Calls waiting for a free slot; one more is refused (`saturated`). Default 32. */
  readonly queueMax?: number;
  /** A queued call waiting longer fails `queue_timeout`. Default 5000. */
  readonly queueTimeoutMs?: number;
  /** A running call taking longer is killed and fails `call_timeout`. Default 30 000. */
  readonly callTimeoutMs?: number;
  /** This many crashes within `windowMs` put the pool in the `crashed` state until `reset()`. Default 5 in 60 000. */
  readonly crashStorm?: { readonly count?: number; readonly windowMs?: number };
  /** A slot waits after a crash: `initialMs`, doubled per consecutive crash, at most `maxMs`, with jitter. */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Replaces the built-in child program (tests run misbehaving ones). */
  readonly command?: SandboxCommand;
  readonly events: Pick<EventBus, 'emit'>;
  readonly tracer: Tracer;
  readonly metrics: SightlineMetrics;
  readonly logger: SightlineLogger;
  /** Variables naming the caller's trace for the child (`obs.childProcessEnv()`), read in the call's context. */
  readonly childEnv: () => Record<string, string>;
  /** Each JSON log line a child wrote on stderr, unchanged. */
  readonly onChildLog?: (line: string) => void;
  /** Milliseconds, for durations and the crash window. Default `performance.now`. */
  readonly now?: () => number;
  /** Backoff jitter, 0..1. Default `Math.random`. */
  readonly random?: () => number;
  /** Starts a child (tests start misbehaving ones at will). Default `node:child_process` `spawn`. */
  readonly spawn?: SpawnSandboxChild;
}

/** The pool's settings with every default filled in, checked once at construction. */
export interface SandboxPoolConfig {
  readonly name: string;
  readonly size: number;
  readonly queueMax: number;
  readonly queueTimeoutMs: number;
  readonly callTimeoutMs: number;
  readonly crashStorm: { readonly count: number; readonly windowMs: number };
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  readonly command: SandboxCommand;
}

const DEFAULTS = {
  name: 'sandbox',
  size: 4,
  queueMax: 32,
  queueTimeoutMs: 5000,
  callTimeoutMs: 30_000,
  crashStorm: { count: 5, windowMs: 60_000 },
  backoff: { initialMs: 100, maxMs: 5000 },
} as const;

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'name', 'size', 'queueMax', 'queueTimeoutMs', 'callTimeoutMs', 'crashStorm', 'backoff', 'command',
  'events', 'tracer', 'metrics', 'logger', 'childEnv', 'onChildLog', 'now', 'random', 'spawn',
]);
/** setTimeout treats more than 2^31-1 ms as 1 ms. */
const MAX_TIMER_MS = 2_147_483_647;
const POOL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Checks the options (throwing a TypeError that quotes the bad value) and fills in the defaults. */
export function resolvePoolConfig(options: SandboxPoolOptions): Readonly<SandboxPoolConfig> {
  if (!isRecord(options)) throw new TypeError(`sandboxPool: options must be an object, got ${String(options)}`);
  checkKnownOptions(options);
  checkInjected(options);
  const name = options.name ?? DEFAULTS.name;
  if (typeof name !== 'string' || !POOL_NAME.test(name)) {
    throw new TypeError(`sandboxPool: name must be 1 to 64 letters, digits, '_', '.' or '-', got ${quote(name)}`);
  }
  const config: SandboxPoolConfig = {
    name,
    size: integerOption('size', options.size ?? DEFAULTS.size, 1),
    queueMax: integerOption('queueMax', options.queueMax ?? DEFAULTS.queueMax, 0),
    queueTimeoutMs: timerOption('queueTimeoutMs', options.queueTimeoutMs ?? DEFAULTS.queueTimeoutMs),
    callTimeoutMs: timerOption('callTimeoutMs', options.callTimeoutMs ?? DEFAULTS.callTimeoutMs),
    crashStorm: {
      count: integerOption('crashStorm.count', options.crashStorm?.count ?? DEFAULTS.crashStorm.count, 1),
      windowMs: timerOption('crashStorm.windowMs', options.crashStorm?.windowMs ?? DEFAULTS.crashStorm.windowMs),
    },
    backoff: {
      initialMs: timerOption('backoff.initialMs', options.backoff?.initialMs ?? DEFAULTS.backoff.initialMs),
      maxMs: timerOption('backoff.maxMs', options.backoff?.maxMs ?? DEFAULTS.backoff.maxMs),
    },
    command: options.command ?? defaultCommand(),
  };
  if (config.backoff.maxMs < config.backoff.initialMs) {
    throw new TypeError(`sandboxPool: backoff.maxMs (${config.backoff.maxMs}) must not be below backoff.initialMs (${config.backoff.initialMs})`);
  }
  checkCommand(config.command);
  return config;
}

/** The configuration as `pool.started` carries it: JSON-safe, without the injected parts. */
export function describeConfig(config: SandboxPoolConfig): Record<string, unknown> {
  const { command, ...rest } = config;
  return { ...rest, command: path.basename(command.args.at(-1) ?? command.file) };
}

function checkKnownOptions(options: Readonly<Record<string, unknown>>): void {
  for (const key of Object.keys(options)) {
    if (KNOWN_OPTIONS.has(key)) continue;
    const suggestion = [...KNOWN_OPTIONS].find((known) => known.toLowerCase() === key.toLowerCase());
    throw new TypeError(
      `sandboxPool: unknown option ${JSON.stringify(key)}` +
        (suggestion === undefined ? `; known options: ${[...KNOWN_OPTIONS].join(', ')}` : `; did you mean ${JSON.stringify(suggestion)}?`),
    );
  }
}

function checkInjected(options: SandboxPoolOptions): void {
  checkFunction('events.emit', (options.events as Partial<EventBus> | undefined)?.emit);
  checkFunction('tracer.startSpan', (options.tracer as Partial<Tracer> | undefined)?.startSpan);
  checkFunction('metrics.counter', (options.metrics as Partial<SightlineMetrics> | undefined)?.counter);
  checkFunction('logger.warn', (options.logger as Partial<SightlineLogger> | undefined)?.warn);
  checkFunction('childEnv', options.childEnv);
  for (const hook of ['onChildLog', 'now', 'random', 'spawn'] as const) {
    if (options[hook] !== undefined) checkFunction(hook, options[hook]);
  }
}

function checkCommand(command: SandboxCommand): void {
  if (!isRecord(command) || typeof command.file !== 'string' || command.file === '' || !Array.isArray(command.args) || !command.args.every((arg) => typeof arg === 'string')) {
    throw new TypeError(`sandboxPool: command must be { file: string, args: string[] }, got ${quote(isRecord(command) ? { file: command.file, args: command.args } : command)}`);
  }
  if (command.env === undefined) return;
  // Values are not quoted: they may be secrets.
  const badName = isRecord(command.env) ? Object.keys(command.env).find((key) => typeof command.env?.[key] !== 'string') : undefined;
  if (!isRecord(command.env) || badName !== undefined) {
    throw new TypeError(`sandboxPool: command.env must map names to strings${badName === undefined ? '' : `; ${JSON.stringify(badName)} is not a string`}`);
  }
}

function integerOption(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TypeError(`sandboxPool: ${name} must be an integer of at least ${min}, got ${quote(value)}`);
  }
  return value;
}

function timerOption(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 1 && value <= MAX_TIMER_MS)) {
    throw new TypeError(`sandboxPool: ${name} must be a number of milliseconds from 1 to ${MAX_TIMER_MS}, got ${quote(value)}`);
  }
  return value;
}

function checkFunction(name: string, value: unknown): void {
  if (typeof value !== 'function') throw new TypeError(`sandboxPool: ${name} must be a function, got ${typeof value}`);
}
