import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { createObservability, type Observability, type ObservabilityOptions, type TelemetryEvent } from '../../middleware';
import { assertTraceparent, captureLogs, metricValue, type LogCapture } from '../../src/testing';
import { expectGone, isAlive } from '../support/processes';
import {
  createSandboxPool,
  nodeCommand,
  SandboxError,
  type SandboxErrorType,
  type SandboxPool,
  type SandboxPoolOptions,
} from '../../competitor/sandbox/pool';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'sandbox');
const HANGS = nodeCommand(path.join(FIXTURES, 'hangs.ts'));
const WRITES_GARBAGE = nodeCommand(path.join(FIXTURES, 'writesGarbage.ts'));
const EXITS_WITH_CODE_3 = nodeCommand(path.join(FIXTURES, 'exitsWithCode3.ts'));
const ANSWERS_WITH_ENVIRONMENT = nodeCommand(path.join(FIXTURES, 'answersWithEnvironment.ts'));
const FAILS_FATALLY = nodeCommand(path.join(FIXTURES, 'failsFatally.ts'));

interface PoolUnderTest {
  readonly obs: Observability;
  readonly logs: LogCapture;
  readonly pool: SandboxPool;
  readonly childLogs: Record<string, unknown>[];
  /** Delivered events so far (the bus delivers on a later turn). */
  events(name?: string): Promise<TelemetryEvent[]>;
}

type PoolSettings = Partial<Omit<SandboxPoolOptions, 'events' | 'tracer' | 'metrics' | 'logger' | 'childEnv'>>;

const opened: SandboxPool[] = [];
afterEach(() => Promise.all(opened.splice(0).map((pool) => pool.close())));

function poolUnderTest(settings: PoolSettings = {}, observability: ObservabilityOptions = {}): PoolUnderTest {
  const logs = captureLogs();
  const obs = createObservability({
    environment: { OTEL_SERVICE_NAME: 'pool-test' },
    logLevel: 'debug',
    metrics: { processMetrics: false },
    ...observability,
    logger: { transports: [logs] },
  });
  const seen: TelemetryEvent[] = [];
  obs.events.subscribe('*', (event) => {
    seen.push(event);
  }, { name: 'test' });
  const childLogs: Record<string, unknown>[] = [];
  const pool = createSandboxPool({
    callTimeoutMs: 10_000,
    ...settings,
    events: obs.events,
    tracer: obs.tracer,
    metrics: obs.metrics,
    logger: obs.logger,
    childEnv: () => obs.childProcessEnv(),
    onChildLog: settings.onChildLog ?? ((line) => childLogs.push(JSON.parse(line) as Record<string, unknown>)),
  });
  opened.push(pool);
  return {
    obs,
    logs,
    pool,
    childLogs,
    async events(name) {
      await obs.events.flush();
      return name === undefined ? [...seen] : seen.filter((event) => event.name === name);
    },
  };
}

async function failure(promise: Promise<unknown>, type: SandboxErrorType): Promise<SandboxError> {
  const error = await promise.then(
    (result) => {
      throw new Error(`expected a ${type} failure, got ${JSON.stringify(result)}`);
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(SandboxError);
  expect((error as SandboxError).type).toBe(type);
  return error as SandboxError;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function started(): { promise: Promise<number>; onStart: (child: { pid: number }) => void } {
  let resolve: (pid: number) => void = () => undefined;
  const promise = new Promise<number>((r) => {
    resolve = r;
  });
  return { promise, onStart: ({ pid }) => resolve(pid) };
}

describe('sandbox pool', () => {
  it('runs calc, echo and a simulated tool in real child processes, with events and metrics', async () => {
    const { pool, obs, events } = poolUnderTest({ size: 2 });
    const [calc, echo, simulated] = await Promise.all([
      pool.run({ tool: 'calc', arguments: { expression: '(1 + 2) * 3 ^ 2' }, callId: 'call-calc' }),
      pool.run({ tool: 'echo', arguments: { text: 'héllo' }, callId: 'call-echo' }),
      pool.run({ tool: 'web_search', arguments: { query: 'weather' }, callId: 'call-other' }),
    ]);
    expect(calc.output).toBe(27);
    expect(echo.output).toBe('héllo');
    expect(simulated.output).toEqual({ tool: 'web_search', arguments: { query: 'weather' }, simulated: true });
    for (const result of [calc, echo, simulated]) {
      expect(result.pid).toBeGreaterThan(0);
      expect(result.durationMs).toBeGreaterThan(0);
    }
    expect(new Set([calc.pid, echo.pid, simulated.pid]).size).toBe(3);

    expect(await events('pool.started')).toEqual([
      expect.objectContaining({ measurements: { startup_ms: expect.any(Number) }, metadata: expect.objectContaining({ pool: 'sandbox' }) }),
    ]);
    const workerStarts = await events('worker.started');
    expect(workerStarts.map((event) => event.metadata.pid).sort()).toEqual([calc.pid, echo.pid, simulated.pid].sort());
    const requestStarts = await events('request.started');
    expect(requestStarts.map((event) => event.metadata.correlation_id).sort()).toEqual(['call-calc', 'call-echo', 'call-other']);
    expect(requestStarts.find((event) => event.metadata.correlation_id === 'call-calc')).toMatchObject({
      measurements: { queue_wait_ms: expect.any(Number) },
      metadata: { command: 'calc', pool: 'sandbox' },
    });
    // Size 2: the third call waited for a slot.
    expect(Math.max(...requestStarts.map((event) => event.measurements.queue_wait_ms ?? 0))).toBeGreaterThan(0);
    expect(await events('request.completed')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ measurements: { duration_ms: expect.any(Number) }, metadata: { correlation_id: 'call-echo', pool: 'sandbox', success: true } }),
      ]),
    );

    const { registry } = obs.metrics;
    expect(await metricValue(registry, 'sandbox_calls_total', { tool: 'calc', outcome: 'ok' })).toBe(1);
    expect(await metricValue(registry, 'sandbox_calls_total', { tool: 'echo', outcome: 'ok' })).toBe(1);
    expect(await metricValue(registry, 'sandbox_calls_total', { tool: 'other', outcome: 'ok' })).toBe(1);
    expect(await metricValue(registry, 'sandbox_spawn_duration_seconds_count')).toBe(3);
    expect(await metricValue(registry, 'sandbox_queue_wait_seconds_count')).toBe(3);
    // Pool events feed sightline's own pool metrics too.
    expect(await metricValue(registry, 'pool_requests_total', { pool: 'sandbox', success: 'true' })).toBe(3);

    await pool.close();
    expect(await metricValue(registry, 'sandbox_workers', { state: 'idle' })).toBe(2);
    expect(await metricValue(registry, 'sandbox_workers', { state: 'busy' })).toBe(0);
    expect(await metricValue(registry, 'sandbox_queue_depth')).toBe(0);
  });

  it('passes progress lines of sleep to onProgress, and a throwing hook does not break the call', async () => {
    const { pool, logs } = poolUnderTest();
    const progress: string[] = [];
    const result = await pool.run({ tool: 'sleep', arguments: { ms: 1100 }, onProgress: (message) => progress.push(message) });
    expect(result.output).toEqual({ slept_ms: expect.any(Number) });
    expect(progress).toEqual(['sleeping, 500 of 1100 ms', 'sleeping, 1000 of 1100 ms']);

    const echoed = await pool.run({
      tool: 'echo',
      arguments: { text: 'still fine' },
      onStart: () => {
        throw new Error('hook bug');
      },
    });
    expect(echoed.output).toBe('still fine');
    expect(logs.find('sandbox hook failed')).toEqual([expect.objectContaining({ level: 'warn', target: 'sandbox', hook: 'onStart' })]);
  });

  it('logs a throwing onChildLog or onProgress and goes on with the call', async () => {
    const { pool, logs } = poolUnderTest({
      onChildLog: () => {
        throw new Error('log sink bug');
      },
    });
    const result = await pool.run({
      tool: 'sleep',
      arguments: { ms: 600 },
      onProgress: () => {
        throw new Error('progress sink bug');
      },
    });
    expect(result.output).toEqual({ slept_ms: expect.any(Number) });
    const hooks = logs.find('sandbox hook failed').map((line) => line.hook);
    expect(hooks.filter((hook) => hook === 'onProgress')).toHaveLength(1);
    expect(hooks.filter((hook) => hook === 'onChildLog')).toHaveLength(2);
  });

  it('fails tool_error when the tool refuses its input, with the child\'s message', async () => {
    const { pool, obs, events } = poolUnderTest();
    const error = await failure(pool.run({ tool: 'calc', arguments: { expression: '1 / 0' }, callId: 'div' }), 'tool_error');
    expect(error.message).toBe('tool calc failed: division by zero at position 2');
    expect(error.details).toMatchObject({ pool: 'sandbox', callId: 'div', tool: 'calc', childError: { message: 'division by zero at position 2' } });
    await failure(pool.run({ tool: 'sleep', arguments: { ms: 120_000 } }), 'tool_error');
    expect(await events('request.completed')).toEqual(
      expect.arrayContaining([expect.objectContaining({ metadata: { correlation_id: 'div', pool: 'sandbox', success: false, error_type: 'tool_error' } })]),
    );
    expect(await metricValue(obs.metrics.registry, 'sandbox_calls_total', { tool: 'calc', outcome: 'tool_error' })).toBe(1);
    expect(pool.stats().crashes).toBe(0);
  });

  it('gives each child the trace of the request it serves, also when the call waited in the queue', async () => {
    const { pool, obs, childLogs, events } = poolUnderTest({ size: 1 });
    const app = express();
    app.use(obs.middleware());
    app.get('/tool/:call', async (req, res) => {
      const ms = Number(req.query.ms ?? 0);
      const result = await pool.run({ tool: 'sleep', arguments: { ms }, callId: req.params.call });
      res.json(result);
    });
    const first = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const second = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const [a, b] = await Promise.all([
      request(app).get('/tool/call-a?ms=300').set('traceparent', first),
      delay(50).then(() => request(app).get('/tool/call-b?ms=0').set('traceparent', second)),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const traceA = assertTraceparent(a.headers.traceparent).traceId;
    const traceB = assertTraceparent(b.headers.traceparent).traceId;
    expect([traceA, traceB]).toEqual(['4bf92f3577b34da6a3ce929d0e0e4736', '0af7651916cd43dd8448eb211c80319c']);

    for (const [callId, traceId] of [['call-a', traceA], ['call-b', traceB]] as const) {
      const lines = childLogs.filter((line) => line.call_id === callId);
      expect(lines.map((line) => line.message)).toEqual(['sandbox call started', 'sandbox call finished']);
      for (const line of lines) expect(line).toMatchObject({ service: 'sandbox', tool: 'sleep', trace_id: traceId, span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
      expect(lines[1]).toMatchObject({ ok: true, duration_ms: expect.any(Number) });
    }
    // The second call was queued behind the first and dispatched on its turn: its events are still its own.
    const startedB = (await events('request.started')).find((event) => event.metadata.correlation_id === 'call-b');
    expect(startedB?.trace_id).toBe(traceB);
    expect(startedB?.measurements.queue_wait_ms).toBeGreaterThan(100);
  });

  it('refuses a call at once when the slot and the queue are full, and emits pool.saturated', async () => {
    const { pool, events, obs } = poolUnderTest({ size: 1, queueMax: 1, command: HANGS, callTimeoutMs: 5000 });
    const running = pool.run({ tool: 'x', arguments: {} });
    const queued = pool.run({ tool: 'x', arguments: {} });
    const error = await failure(pool.run({ tool: 'x', arguments: {} }), 'saturated');
    expect(error.retryAfterS).toBe(5);
    expect(pool.stats()).toMatchObject({ state: 'running', total: 1, available: 0, queue_size: 1 });
    expect(await events('pool.saturated')).toEqual([
      expect.objectContaining({ measurements: { queue_size: 1, available_workers: 0 }, metadata: { pool: 'sandbox' } }),
    ]);
    expect(await metricValue(obs.metrics.registry, 'pool_saturations_total', { pool: 'sandbox' })).toBe(1);
    expect(await metricValue(obs.metrics.registry, 'sandbox_queue_depth')).toBe(1);
    const closedCalls = Promise.all([failure(running, 'closed'), failure(queued, 'closed')]);
    await pool.close();
    await closedCalls;
  });

  it('fails a queued call queue_timeout when no slot comes free in time', async () => {
    const { pool } = poolUnderTest({ size: 1, command: HANGS, queueTimeoutMs: 200 });
    const running = pool.run({ tool: 'x', arguments: {} });
    const began = Date.now();
    const error = await failure(pool.run({ tool: 'x', arguments: {}, callId: 'waits' }), 'queue_timeout');
    expect(Date.now() - began).toBeGreaterThanOrEqual(180);
    expect(error.retryAfterS).toBe(1);
    expect(error.details).toMatchObject({ callId: 'waits', timeoutMs: 200 });
    expect(pool.stats().queue_size).toBe(0);
    const closedCall = failure(running, 'closed');
    await pool.close();
    await closedCall;
  });

  it('kills a child that does not answer in time, without counting a crash', async () => {
    const { pool, logs, events } = poolUnderTest({ size: 1, command: HANGS, callTimeoutMs: 300 });
    const child = started();
    const error = await failure(pool.run({ tool: 'x', arguments: {}, onStart: child.onStart }), 'call_timeout');
    const pid = await child.promise;
    expect(error.details).toMatchObject({ pid, timeoutMs: 300 });
    await expectGone(pid);
    expect(logs.find('sandbox call timed out')).toEqual([expect.objectContaining({ level: 'warn', target: 'sandbox', pid, timeout_ms: 300 })]);
    expect(await events('worker.crashed')).toEqual([]);
    expect(pool.stats()).toMatchObject({ crashes: 0, available: 1 });
  });

  it('reports a child killed from outside as crashed, backs the slot off, then serves the next call', async () => {
    // No jitter: the backoff is its longest, 100 ms.
    const { pool, obs, events, logs } = poolUnderTest({ backoff: { initialMs: 100, maxMs: 200 }, size: 1, random: () => 1 });
    const error = await failure(
      pool.run({
        tool: 'sleep',
        arguments: { ms: 5000 },
        callId: 'victim',
        onStart: ({ pid }) => {
          process.kill(pid, 'SIGKILL');
        },
      }),
      'crashed',
    );
    // Queued while the slot backs off (only promise turns since the crash: its timer cannot have fired).
    const nextCall = pool.run({ tool: 'calc', arguments: { expression: '2 + 2' } });
    expect(error.details).toMatchObject({ signal: 'SIGKILL', exitCode: null, callId: 'victim' });
    expect(error.message).toBe('sandbox child was killed by SIGKILL before answering');
    expect(pool.stats()).toMatchObject({ backoff: 1, available: 0, crashes: 1, crashes_in_window: 1, state: 'running', queue_size: 1 });
    expect(await metricValue(obs.metrics.registry, 'sandbox_crashes_total', { exit_code: 'SIGKILL' })).toBe(1);
    expect(await metricValue(obs.metrics.registry, 'sandbox_workers', { state: 'backoff' })).toBe(1);

    const [crash] = await events('worker.crashed');
    expect(crash).toMatchObject({
      measurements: {},
      metadata: { pool: 'sandbox', worker_id: 0, pid: error.details.pid, signal: 'SIGKILL', tool: 'sleep', call_id: 'victim' },
    });
    expect(logs.find('sandbox crashed')).toEqual([expect.objectContaining({ level: 'error', signal: 'SIGKILL', call_id: 'victim' })]);

    const next = await nextCall;
    expect(next.output).toBe(4);
    // The call waited out the backoff before its child started.
    expect(next.queueWaitMs).toBeGreaterThanOrEqual(40);
  });

  it('stops after a crash storm: the crashing call and queued ones fail, new ones are refused until reset()', async () => {
    const { pool, events, logs } = poolUnderTest({
      size: 1,
      command: EXITS_WITH_CODE_3,
      crashStorm: { count: 3, windowMs: 60_000 },
      backoff: { initialMs: 10, maxMs: 20 },
      // The last call waits for three children to start and crash one after the other: slow on a busy machine.
      queueTimeoutMs: 15_000,
    });
    const calls = [1, 2, 3, 4].map((n) => pool.run({ tool: 'x', arguments: {}, callId: `storm-${n}` }));
    const crashes = await Promise.all(calls.slice(0, 3).map((call) => failure(call, 'crashed')));
    expect(crashes[0]?.details).toMatchObject({ exitCode: 3, signal: null, stderrTail: 'fixture: refusing to work, exiting with code 3\n' });
    const queued = await failure(calls[3] as Promise<unknown>, 'pool_crashed');
    expect(queued.retryAfterS).toBe(60);

    expect(pool.stats()).toMatchObject({ state: 'crashed', crashes: 3, crashes_in_window: 3, queue_size: 0 });
    const refused = await failure(pool.run({ tool: 'x', arguments: {} }), 'pool_crashed');
    expect(refused.retryAfterS).toBe(60);
    const crashEvents = await events('worker.crashed');
    expect(crashEvents).toHaveLength(3);
    expect(crashEvents[0]).toMatchObject({ measurements: { exit_code: 3 }, metadata: { error: 'fixture: refusing to work, exiting with code 3\n', signal: null } });
    expect(await events('pool.crashed')).toEqual([expect.objectContaining({ measurements: { crashes: 3, window_s: 60 }, metadata: { pool: 'sandbox' } })]);
    expect(logs.find('sandbox pool crashed')).toHaveLength(1);

    expect(pool.reset()).toBe(true);
    expect(pool.reset()).toBe(false);
    expect(pool.stats()).toMatchObject({ state: 'running', available: 1, crashes: 3, crashes_in_window: 0 });
    expect(await events('pool.reset')).toEqual([expect.objectContaining({ metadata: { pool: 'sandbox' } })]);
    expect(logs.find('sandbox pool reset')).toEqual([expect.objectContaining({ level: 'info', pool: 'sandbox' })]);
    // Taken again: this child crashes like the others, but the pool ran it.
    await failure(pool.run({ tool: 'x', arguments: {} }), 'crashed');
  });

  it('reports the stack of a child\'s fatal line with its crash', async () => {
    const { pool, events } = poolUnderTest({ command: FAILS_FATALLY });
    const error = await failure(pool.run({ tool: 'x', arguments: {} }), 'crashed');
    expect(error.details).toMatchObject({ exitCode: 70, signal: null, childError: { message: 'fixture exploded' } });
    const [crash] = await events('worker.crashed');
    expect(crash).toMatchObject({ measurements: { exit_code: 70 }, metadata: { stack: expect.stringContaining('at failsFatally') } });
  });

  it('fails parse_error on a line that is not JSON, counts it, logs a preview and kills the child', async () => {
    const { pool, obs, logs } = poolUnderTest({ command: WRITES_GARBAGE });
    const child = started();
    const error = await failure(pool.run({ tool: 'x', arguments: {}, onStart: child.onStart }), 'parse_error');
    expect(error.details).toMatchObject({ parseErrorType: 'invalid_json', rawLinePreview: 'not json at all' });
    await expectGone(await child.promise);
    expect(await metricValue(obs.metrics.registry, 'sandbox_parse_errors_total', { type: 'invalid_json' })).toBe(1);
    expect(logs.find('sandbox output invalid')).toEqual([
      expect.objectContaining({ level: 'warn', target: 'sandbox', error_type: 'invalid_json', raw_line_preview: 'not json at all' }),
    ]);
    expect(pool.stats().crashes).toBe(0);
  });

  it('leaves out the service\'s secrets from a child\'s environment and adds the trace variables', async () => {
    const saved = { CHUTES_API_KEY: process.env.CHUTES_API_KEY, OBS_ADMIN_TOKEN: process.env.OBS_ADMIN_TOKEN };
    process.env.CHUTES_API_KEY = 'cpk_secret';
    process.env.OBS_ADMIN_TOKEN = 'admin-secret-token-value';
    try {
      const { pool, obs } = poolUnderTest({ command: ANSWERS_WITH_ENVIRONMENT });
      const app = express();
      app.use(obs.middleware());
      app.get('/env', async (_req, res) => {
        res.json((await pool.run({ tool: 'env', arguments: {} })).output);
      });
      const res = await request(app).get('/env').set('traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
      const env = res.body as Record<string, string>;
      expect(env.CHUTES_API_KEY).toBeUndefined();
      expect(env.OBS_ADMIN_TOKEN).toBeUndefined();
      expect(env.PATH).toBe(process.env.PATH);
      expect(assertTraceparent(env.TRACEPARENT).traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('aborts a running call by killing its child, and a queued one by taking it out of the queue', async () => {
    const { pool } = poolUnderTest({ size: 1, command: HANGS });
    const runningAbort = new AbortController();
    const queuedAbort = new AbortController();
    const child = started();
    const running = pool.run({ tool: 'x', arguments: {}, signal: runningAbort.signal, onStart: child.onStart });
    const queued = pool.run({ tool: 'x', arguments: {}, signal: queuedAbort.signal });
    const pid = await child.promise;
    queuedAbort.abort();
    await failure(queued, 'aborted');
    expect(pool.stats().queue_size).toBe(0);
    runningAbort.abort();
    await failure(running, 'aborted');
    await expectGone(pid);
    await failure(pool.run({ tool: 'x', arguments: {}, signal: AbortSignal.abort() }), 'aborted');
  });

  it('close() kills running children, fails queued calls, refuses new ones, and is idempotent', async () => {
    const { pool } = poolUnderTest({ size: 2, command: HANGS });
    const children = [started(), started()];
    const running = children.map((child) => pool.run({ tool: 'x', arguments: {}, onStart: child.onStart }));
    const queued = pool.run({ tool: 'x', arguments: {} });
    const pids = await Promise.all(children.map((child) => child.promise));
    const closedCalls = Promise.all([...running, queued].map((call) => failure(call, 'closed')));
    const closing = pool.close();
    expect(pool.close()).toBe(closing);
    await closing;
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    await closedCalls;
    await failure(pool.run({ tool: 'echo', arguments: { text: 'late' } }), 'closed');
    expect(pool.stats()).toMatchObject({ state: 'closed', busy: 0, queue_size: 0 });
  });

  it('refuses bad options loudly, quoting the value', () => {
    const { obs } = poolUnderTest();
    const injected = { events: obs.events, tracer: obs.tracer, metrics: obs.metrics, logger: obs.logger, childEnv: () => ({}) };
    expect(() => createSandboxPool({ ...injected, size: 0 })).toThrow('sandboxPool: size must be an integer of at least 1, got 0');
    expect(() => createSandboxPool({ ...injected, queueTimeoutMs: -5 })).toThrow('sandboxPool: queueTimeoutMs must be a number of milliseconds from 1 to 2147483647, got -5');
    expect(() => createSandboxPool({ ...injected, backoff: { initialMs: 500, maxMs: 100 } })).toThrow('backoff.maxMs (100) must not be below backoff.initialMs (500)');
    expect(() => createSandboxPool({ ...injected, queuemax: 3 } as SandboxPoolOptions)).toThrow('sandboxPool: unknown option "queuemax"; did you mean "queueMax"?');
    expect(() => createSandboxPool({ ...injected, name: 'has space' })).toThrow('got "has space"');
    expect(() => createSandboxPool({ ...injected, childEnv: undefined } as unknown as SandboxPoolOptions)).toThrow('sandboxPool: childEnv must be a function, got undefined');
  });

  it('rejects a malformed call with a TypeError before using a slot', async () => {
    const { pool } = poolUnderTest({ size: 1 });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(pool.run({ tool: '', arguments: {} })).rejects.toThrow('sandboxPool.run: tool must be a string of 1 to 256 characters, got ""');
    await expect(pool.run({ tool: 'echo', arguments: [] as unknown as Record<string, unknown> })).rejects.toThrow(TypeError);
    await expect(pool.run({ tool: 'echo', arguments: circular })).rejects.toThrow('arguments of "echo" are not JSON-serialisable');
    await expect(pool.run({ tool: 'echo', arguments: { text: 'x'.repeat(1024 * 1024) } })).rejects.toThrow('longer than 1048576 bytes');
    expect(pool.stats()).toMatchObject({ available: 1, queue_size: 0 });
  });
});

// Last in the file: tracing registers OpenTelemetry globals for the rest of the process.
describe('sandbox pool with tracing on', () => {
  it('makes sandbox.exec the child\'s parent span, under the request span, with sandbox.spawn inside it', async () => {
    const exporter = new InMemorySpanExporter();
    const { pool, obs, childLogs } = poolUnderTest({}, { tracingEnabled: true, tracing: { spanProcessor: new SimpleSpanProcessor({ exporter }) } });
    const app = express();
    app.use(obs.middleware());
    app.get('/calc', async (_req, res) => {
      res.json(await pool.run({ tool: 'calc', arguments: { expression: '6 * 7' }, callId: 'traced' }));
    });
    const res = await request(app).get('/calc');
    const answered = assertTraceparent(res.headers.traceparent);
    const spans = exporter.getFinishedSpans();
    const exec = spans.find((span) => span.name === 'sandbox.exec');
    const spawnSpan = spans.find((span) => span.name === 'sandbox.spawn');
    expect(exec?.parentSpanContext?.spanId).toBe(answered.parentId);
    expect(exec?.spanContext().traceId).toBe(answered.traceId);
    expect(spawnSpan?.parentSpanContext?.spanId).toBe(exec?.spanContext().spanId);
    expect(exec?.attributes).toMatchObject({ 'sandbox.pool': 'sandbox', 'sandbox.tool': 'calc', 'process.pid': res.body.pid });
    const lines = childLogs.filter((line) => line.call_id === 'traced');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatchObject({ trace_id: answered.traceId, span_id: exec?.spanContext().spanId });

    const failed = await failure(pool.run({ tool: 'calc', arguments: { expression: '1 +' } }), 'tool_error');
    expect(failed.type).toBe('tool_error');
    const failedExec = exporter.getFinishedSpans().filter((span) => span.name === 'sandbox.exec')[1];
    expect(failedExec?.status).toEqual({ code: 2, message: 'tool_error' });
    await obs.shutdown();
  });
});
