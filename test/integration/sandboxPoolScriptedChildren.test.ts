import { createObservability, type Observability, type TelemetryEvent } from '../../middleware';
import { captureLogs, metricValue, type LogCapture } from '../../src/testing';
import { createSandboxPool, SandboxError, type SandboxErrorType, type SandboxPool, type SandboxPoolOptions } from '../../competitor/sandbox/pool';
import { spawnChildProcess } from '../../competitor/sandbox/spawnChild';
import { scriptedSpawn, type ScriptedChild, type ScriptedSpawn } from '../fixtures/sandbox/scriptedChild';

/**
 * The pool driven through an injected `spawn`: children that die exactly when a test says,
 * to check how the pool takes each moment of a child's life.
 */

interface PoolUnderTest {
  readonly obs: Observability;
  readonly logs: LogCapture;
  readonly pool: SandboxPool;
  readonly children: ScriptedSpawn;
  /** Delivered events so far (the bus delivers on a later turn). */
  events(name: string): Promise<TelemetryEvent[]>;
  metric(name: string, labels?: Record<string, string>): Promise<number | undefined>;
}

type PoolSettings = Partial<Omit<SandboxPoolOptions, 'events' | 'tracer' | 'metrics' | 'logger' | 'childEnv'>>;

const opened: SandboxPool[] = [];
afterEach(() => Promise.all(opened.splice(0).map((pool) => pool.close())));

function poolUnderTest(settings: PoolSettings = {}): PoolUnderTest {
  const logs = captureLogs();
  const obs = createObservability({ environment: { OTEL_SERVICE_NAME: 'pool-test' }, metrics: { processMetrics: false }, logger: { transports: [logs] } });
  const seen: TelemetryEvent[] = [];
  obs.events.subscribe('*', (event) => {
    seen.push(event);
  }, { name: 'test' });
  const children = scriptedSpawn();
  const pool = createSandboxPool({
    spawn: children.spawn,
    ...settings,
    events: obs.events,
    tracer: obs.tracer,
    metrics: obs.metrics,
    logger: obs.logger,
    childEnv: () => obs.childProcessEnv(),
  });
  opened.push(pool);
  return {
    obs,
    logs,
    pool,
    children,
    async events(name) {
      await obs.events.flush();
      return seen.filter((event) => event.name === name);
    },
    metric: (name, labels) => metricValue(obs.metrics.registry, name, labels),
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

/** Starts the child and waits for the request the pool writes to it. */
async function started(child: ScriptedChild, pid: number): Promise<string> {
  child.start(pid);
  return (await child.request()).id;
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('sandbox pool with scripted children: crash storms', () => {
  it('counts only the crashes within the window; a storm fails the queued calls and refuses new ones until reset()', async () => {
    let clock = 0;
    const { pool, children, events, metric, logs } = poolUnderTest({
      size: 2,
      crashStorm: { count: 3, windowMs: 1000 },
      backoff: { initialMs: 1, maxMs: 1 },
      now: () => clock,
    });

    const progress: string[] = [];
    const first = pool.run({ tool: 'x', arguments: {}, callId: 'first', onProgress: (message) => progress.push(message) });
    const firstChild = await children.next();
    await started(firstChild, 101);
    firstChild.writeLine({ id: 'first', type: 'progress', message: 'half way' });
    firstChild.writeStderr('segfault ahead\n');
    await turn();
    void firstChild.die(1);
    const firstCrash = await failure(first, 'crashed');
    expect(firstCrash.details).toMatchObject({ pid: 101, exitCode: 1, signal: null, stderrTail: 'segfault ahead\n' });
    expect(progress).toEqual(['half way']);

    // Past the window: the first crash no longer counts towards a storm.
    clock = 5000;
    const [second, third, queued] = ['second', 'third', 'queued'].map((callId) => pool.run({ tool: 'x', arguments: {}, callId }));
    const secondChild = await children.next();
    const thirdChild = await children.next();
    await Promise.all([started(secondChild, 102), started(thirdChild, 103)]);
    expect(pool.stats()).toMatchObject({ busy: 2, queue_size: 1, crashes: 1, crashes_in_window: 0 });
    void secondChild.die(null, 'SIGSEGV');
    await failure(second as Promise<unknown>, 'crashed');
    expect(pool.stats()).toMatchObject({ state: 'running', crashes: 2, crashes_in_window: 1 });

    // The queued call took the second slot once it had backed off; its child dies too, then the third's.
    const queuedChild = await children.next();
    await started(queuedChild, 104);
    const late = pool.run({ tool: 'x', arguments: {}, callId: 'late' });
    clock = 5100;
    void queuedChild.die(2);
    await failure(queued as Promise<unknown>, 'crashed');
    expect(pool.stats()).toMatchObject({ state: 'running', crashes_in_window: 2, queue_size: 1 });
    clock = 5200;
    void thirdChild.die(3);
    await failure(third as Promise<unknown>, 'crashed');
    const refusedLate = await failure(late, 'pool_crashed');
    expect(refusedLate.message).toBe('sandbox pool sandbox stopped after 3 crashes within 1000 ms');
    expect(refusedLate.retryAfterS).toBe(1);

    expect(pool.stats()).toMatchObject({ state: 'crashed', crashes: 4, crashes_in_window: 3, queue_size: 0 });
    expect(await events('pool.crashed')).toEqual([expect.objectContaining({ measurements: { crashes: 3, window_s: 1 }, metadata: { pool: 'sandbox' } })]);
    expect(logs.find('sandbox pool crashed')).toEqual([expect.objectContaining({ level: 'error', crashes: 3, window_ms: 1000, queued_calls_failed: 1 })]);
    expect((await events('worker.crashed')).map((event) => event.metadata.call_id)).toEqual(['first', 'second', 'queued', 'third']);
    for (const [label, count] of [['1', 1], ['SIGSEGV', 1], ['2', 1], ['3', 1]] as const) {
      expect(await metric('sandbox_crashes_total', { exit_code: label })).toBe(count);
    }
    await failure(pool.run({ tool: 'x', arguments: {} }), 'pool_crashed');
    expect(children.children).toHaveLength(4);

    expect(pool.reset()).toBe(true);
    const answered = pool.run({ tool: 'echo', arguments: { text: 'back' } });
    const healthyChild = await children.next();
    const id = await started(healthyChild, 105);
    healthyChild.writeLine({ id, type: 'result', ok: true, output: 'back' });
    void healthyChild.die(0);
    expect(await answered).toMatchObject({ output: 'back', pid: 105 });
    expect(pool.stats()).toMatchObject({ state: 'running', crashes: 4, available: 2 });
  });
});

describe('sandbox pool with scripted children: how a child ends', () => {
  it('takes a child that dies right after answering as an answer, not a crash', async () => {
    const { pool, children, events, metric } = poolUnderTest({ size: 1 });
    const call = pool.run({ tool: 'calc', arguments: { expression: '1 + 1' } });
    const child = await children.next();
    const id = await started(child, 201);
    child.writeLine({ id, type: 'result', ok: true, output: 2 });
    await turn();
    void child.die(null, 'SIGKILL');
    expect(await call).toMatchObject({ output: 2, pid: 201 });
    expect(await events('worker.crashed')).toEqual([]);
    expect(await metric('sandbox_crashes_total')).toBe(0);
    expect(await metric('sandbox_calls_total', { tool: 'calc', outcome: 'ok' })).toBe(1);
    expect(pool.stats()).toMatchObject({ crashes: 0, available: 1, backoff: 0 });
  });

  it('kills a child whose call is aborted while it starts, asks it nothing, and counts no crash', async () => {
    const { pool, children, events } = poolUnderTest({ size: 1 });
    const abort = new AbortController();
    const call = pool.run({ tool: 'x', arguments: {}, signal: abort.signal });
    const child = await children.next();
    expect(pool.stats()).toMatchObject({ spawning: 1 });
    abort.abort();
    await failure(call, 'aborted');
    expect(child.signals).toEqual(['SIGKILL']);
    child.start(301);
    await new Promise((resolve) => child.once('close', resolve));
    expect(child.input).toBe('');
    expect(await events('worker.crashed')).toEqual([]);
    expect(pool.stats()).toMatchObject({ crashes: 0, available: 1 });
  });

  it('reports a child that cannot start once, by its error code, and backs its slot off', async () => {
    const { pool, children, events, metric } = poolUnderTest({ backoff: { initialMs: 50, maxMs: 50 } });
    const call = pool.run({ tool: 'x', arguments: {}, callId: 'no-start' });
    const child = await children.next();
    child.failToStart('EAGAIN');
    const error = await failure(call, 'crashed');
    expect(error.message).toBe(`sandbox child could not start: spawn ${child.file} EAGAIN before answering`);
    expect(error.details).toMatchObject({ exitCode: null, signal: null, stderrTail: `spawn ${child.file} EAGAIN\n` });
    await new Promise((resolve) => child.once('close', resolve));
    expect(await metric('sandbox_crashes_total', { exit_code: 'EAGAIN' })).toBe(1);
    expect(await events('worker.crashed')).toEqual([expect.objectContaining({ measurements: {}, metadata: expect.objectContaining({ pid: null, call_id: 'no-start' }) })]);
    expect(pool.stats()).toMatchObject({ crashes: 1, backoff: 1 });
  });

  it('reports a spawn that throws as a crash of the call', async () => {
    const { pool, metric } = poolUnderTest({
      spawn: () => {
        throw Object.assign(new Error('spawn EMFILE'), { code: 'EMFILE' });
      },
    });
    const error = await failure(pool.run({ tool: 'x', arguments: {} }), 'crashed');
    expect(error.message).toBe('sandbox child could not start: spawn EMFILE before answering');
    expect(await metric('sandbox_crashes_total', { exit_code: 'EMFILE' })).toBe(1);
  });

  it('reports a real child killed at a chosen moment, after its first progress line, as a crash by that signal', async () => {
    const { pool } = poolUnderTest({
      spawn: (file, args, options) => {
        const child = spawnChildProcess(file, args, options);
        child.stdout.once('data', () => child.kill('SIGTERM'));
        return child;
      },
    });
    const progress: string[] = [];
    const error = await failure(pool.run({ tool: 'sleep', arguments: { ms: 5000 }, onProgress: (message) => progress.push(message) }), 'crashed');
    expect(error.details).toMatchObject({ signal: 'SIGTERM', exitCode: null });
    expect(progress).toEqual(['sleeping, 500 of 5000 ms']);
  });

  it('refuses a spawn option that is not a function', () => {
    expect(() => poolUnderTest({ spawn: 'node' as unknown as SandboxPoolOptions['spawn'] })).toThrow('sandboxPool: spawn must be a function, got string');
  });
});
