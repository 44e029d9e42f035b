import { createContextStore, createRequestContext, type ContextStore } from '../../src/context';
import { createEventBus, type TelemetryEvent } from '../../src/eventBus';
import { createEventLogConsumer } from '../../src/eventLogConsumer';
import { createLogStats } from '../../src/logStats';
import { createLogger } from '../../src/logger';
import { createRedactor } from '../../src/redaction';
import { captureLogs, type LogCapture, type LogLine } from '../../src/testing';

function setup(): { logs: LogCapture; context: ContextStore; consume: (event: TelemetryEvent) => void; logger: ReturnType<typeof createLogger>['logger'] } {
  const logs = captureLogs();
  const context = createContextStore();
  const { logger } = createLogger({
    identity: { service: 'svc', version: '1.0.0', env: 'test', defaultTarget: 'app' },
    level: 'info',
    context,
    redactor: createRedactor(),
    stats: createLogStats(),
    transports: [logs],
  });
  const consume = createEventLogConsumer({ logger }) as (event: TelemetryEvent) => void;
  return { logs, context, consume, logger };
}

async function eventLines(logs: LogCapture, count: number): Promise<LogLine[]> {
  const deadline = Date.now() + 2000;
  while (logs.find('event').length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  return logs.find('event');
}

const EVENT: TelemetryEvent = {
  name: 'pool.saturated',
  time: '2025-01-01T00:00:00.000Z',
  measurements: { queue_size: 7, available_workers: 0 },
  metadata: { pool: 'render' },
  request_id: 'req-event',
  trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
  span_id: '00f067aa0ba902b7',
};

describe('createEventLogConsumer', () => {
  it('writes one JSON line per event with its name, time, measurements, metadata and ids', async () => {
    const { logs, consume } = setup();
    consume(EVENT);
    const [line] = await eventLines(logs, 1);
    expect(line).toMatchObject({
      level: 'info',
      message: 'event',
      target: 'events',
      service: 'svc',
      event: 'pool.saturated',
      event_time: '2025-01-01T00:00:00.000Z',
      measurements: { queue_size: 7, available_workers: 0 },
      metadata: { pool: 'render' },
      request_id: 'req-event',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
    });
  });

  it("keeps the event's ids when another request is active at delivery, and adds none the event lacks", async () => {
    const { logs, context, consume } = setup();
    const other = createRequestContext('req-active');
    other.traceId = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    other.spanId = 'bbbbbbbbbbbbbbbb';
    context.set('tenant', 'leaked');
    context.run(other, () => {
      context.set('tenant', 'other-tenant');
      consume(EVENT);
      consume({ name: 'pool.started', time: EVENT.time, measurements: {}, metadata: {} });
    });
    const [withIds, withoutIds] = await eventLines(logs, 2);
    expect(withIds).toMatchObject({ request_id: 'req-event', trace_id: EVENT.trace_id, span_id: EVENT.span_id });
    expect(withIds).not.toHaveProperty('tenant');
    expect(withoutIds).toMatchObject({ event: 'pool.started' });
    expect(withoutIds).not.toHaveProperty('request_id');
    expect(withoutIds).not.toHaveProperty('trace_id');
    expect(withoutIds).not.toHaveProperty('tenant');
  });

  it('writes the line even when the active request is not sampled: the bus has sampled the event already', async () => {
    const { logs, context, consume } = setup();
    const unsampled = createRequestContext('req-unsampled');
    unsampled.sampled = false;
    context.run(unsampled, () => consume(EVENT));
    expect(await eventLines(logs, 1)).toHaveLength(1);
  });

  it('honours its level and target', async () => {
    const { logs, logger } = setup();
    createEventLogConsumer({ logger, level: 'debug' })(EVENT);
    createEventLogConsumer({ logger, level: 'warn', target: 'pool' })(EVENT);
    const lines = await eventLines(logs, 1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', target: 'pool' });
  });

  it('on a bus: ids from the emitting request, secrets never written', async () => {
    const { logs, context, consume } = setup();
    const bus = createEventBus({ context });
    bus.subscribe('*', consume, { name: 'log' });
    context.run(createRequestContext('req-emit'), () =>
      bus.emit('session.created', { ttl_s: 60 }, { password: 'hunter2-pw', authorization: 'Bearer abc-secret-token', session_id: 's-1' }),
    );
    bus.emit('session.cleanup', { count: 3, duration_ms: 1.5 });
    await bus.flush();
    const lines = await eventLines(logs, 2);
    expect(lines.map((line) => [line.event, line.request_id])).toEqual([
      ['session.created', 'req-emit'],
      ['session.cleanup', undefined],
    ]);
    const written = JSON.stringify(logs.lines);
    expect(written).not.toContain('hunter2-pw');
    expect(written).not.toContain('abc-secret-token');
  });
});
