import { createContextStore, createRequestContext, LINE_CONTEXT } from '../../src/context';
import { createLineFormat, createTimestampClock } from '../../src/logFormat';
import { MESSAGE } from '../../src/logLevels';
import type { LogLimits } from '../../src/logLimits';
import { createLogStats } from '../../src/logStats';
import { createRedactor } from '../../src/redaction';

function setup(limits?: LogLimits) {
  const context = createContextStore();
  const stats = createLogStats();
  const recorded: [string, string][] = [];
  const format = createLineFormat({
    identity: { service: 'svc', version: '1.2.3', env: 'test', defaultTarget: 'app' },
    context,
    redactor: createRedactor(),
    stats,
    onRequestLine: (id, line) => recorded.push([id, line]),
    limits,
  });
  const write = (fields: Record<string | symbol, unknown>): string | false => {
    const info = 'level' in fields ? fields : Object.assign({ level: 'info', message: 'm' }, fields);
    const out = format.transform(info as never);
    return out === false ? false : (out[MESSAGE] as string);
  };
  return { context, stats, recorded, write, format };
}

describe('createLineFormat', () => {
  it('writes one JSON object: fixed members first, then the request ids, the request fields and the line fields', () => {
    const { context, recorded, write } = setup();
    const request = createRequestContext('req-1');
    request.traceId = '0af7651916cd43dd8448eb211c80319c';
    request.spanId = 'b7ad6b7169203331';
    const text = context.run(request, () => {
      context.set('tenant', 't-1');
      context.set('status', 'from context');
      return write({ message: 'done', target: 'http', status: 200, route: '/v1/items/:id', nested: { a: [1, 'b'] } });
    }) as string;
    const line = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(line).slice(0, 10)).toEqual([
      'timestamp', 'level', 'message', 'service', 'version', 'env', 'target', 'request_id', 'trace_id', 'span_id',
    ]);
    expect(line).toEqual({
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      level: 'info',
      message: 'done',
      service: 'svc',
      version: '1.2.3',
      env: 'test',
      target: 'http',
      request_id: 'req-1',
      trace_id: request.traceId,
      span_id: request.spanId,
      tenant: 't-1',
      // The line's own field wins over the request's field of the same name.
      status: 200,
      route: '/v1/items/:id',
      nested: { a: [1, 'b'] },
    });
    expect(recorded).toEqual([['req-1', text]]);
  });

  it('never lets a line overwrite the fixed members, leaves undefined fields out and redacts secrets', () => {
    const { write } = setup();
    const line = JSON.parse(
      write({ service: 'spoofed', request_id: 'kept: no request', timestamp: 'x', token: 'abc', note: 'Bearer abcdefghijklmnop', gone: undefined, fn: () => 1 }) as string,
    ) as Record<string, unknown>;
    expect(line).toMatchObject({ service: 'svc', target: 'app', request_id: 'kept: no request', token: '[REDACTED]' });
    expect(line.timestamp).not.toBe('x');
    expect(String(line.note)).not.toContain('abcdefghijklmnop');
    expect(line).not.toHaveProperty('gone');
    expect(line).not.toHaveProperty('fn');
  });

  it('leaves out ids a pinned context lacks, and records no timeline line for it', () => {
    const { recorded, write } = setup();
    const pinned = { ...createRequestContext('x'), requestId: undefined as unknown as string };
    const line = JSON.parse(write({ [LINE_CONTEXT]: pinned }) as string) as Record<string, unknown>;
    expect(line).not.toHaveProperty('request_id');
    expect(line).toMatchObject({ trace_id: '', span_id: '' });
    expect(recorded).toEqual([]);
  });

  it('marks a field or message whose getter throws, writes the rest of the line and counts it', () => {
    const { stats, write } = setup();
    const info: Record<string, unknown> = { level: 'info', message: 'm', kept: 1 };
    Object.defineProperty(info, 'bad', { enumerable: true, get: () => { throw new Error('getter failed'); } });
    expect(JSON.parse(write(info) as string)).toMatchObject({ message: 'm', kept: 1, bad: '[Unserializable]' });
    const line: Record<string, unknown> = { level: 'warn', code: 'E1' };
    Object.defineProperty(line, 'message', { enumerable: true, get: () => { throw new Error('getter failed'); } });
    expect(JSON.parse(write(line) as string)).toMatchObject({ level: 'warn', message: '[Unserializable]', code: 'E1' });
    expect(stats.formatErrors).toBe(2);
  });

  it('writes a reduced line and counts it when the fields cannot be listed', () => {
    const { stats, write } = setup();
    const info = new Proxy({ level: 'info', message: 'm' } as Record<string | symbol, unknown>, {
      ownKeys() {
        throw new Error('no keys');
      },
    });
    const line = JSON.parse(write(info) as string) as Record<string, unknown>;
    expect(line).toMatchObject({ message: 'log line could not be formatted', format_error: 'no keys' });
    expect(stats.formatErrors).toBe(1);
  });

  it("writes a field `exception: true` as logged and hands on an info that winston's transports do not skip", () => {
    const { format } = setup();
    for (const make of [format.transform, format.transformLater]) {
      const out = make({ level: 'error', message: 'm', exception: true, code: 'E1' } as never);
      expect(out).not.toBe(false);
      const info = out as Record<string | symbol, unknown>;
      expect(JSON.parse(String(info[MESSAGE]))).toMatchObject({ message: 'm', exception: true, code: 'E1' });
      expect(info.exception).toBeUndefined();
    }
  });

  it('drops info lines of an unsampled request and counts them, but keeps its warnings', () => {
    const { context, stats, write } = setup();
    const request = createRequestContext('req-2');
    request.sampled = false;
    context.run(request, () => {
      expect(write({})).toBe(false);
      expect(write({ level: 'warn' })).toEqual(expect.stringContaining('"level":"warn"'));
    });
    expect(stats.droppedBySampling).toBe(1);
  });
});

describe('the limits of a line', () => {
  it('cuts the message, a field and a request field to the longest a string may be, and counts each', () => {
    const { context, stats, write } = setup({ maxStringLength: 100, maxLineBytes: 65_536 });
    const long = 'y'.repeat(5 * 1024 * 1024);
    const request = createRequestContext('req-1');
    const line = JSON.parse(
      context.run(request, () => {
        context.set('note', long);
        return write({ message: long, body: long, nested: { text: long } });
      }) as string,
    ) as Record<string, unknown>;
    const cut = `${'y'.repeat(100)} …[truncated: ${long.length - 100} more of ${long.length} chars]`;
    expect(line).toMatchObject({ message: cut, body: cut, nested: { text: cut }, note: cut });
    expect(stats).toMatchObject({ truncatedStrings: 4, truncatedLines: 0 });
  });

  it('keeps a line over its byte limit valid JSON with its time, level, message and ids, leaving out the fields that do not fit', () => {
    const { context, stats, write, format } = setup({ maxStringLength: 8192, maxLineBytes: 2048 });
    const request = createRequestContext('req-2');
    request.traceId = 'a'.repeat(32);
    const text = context.run(request, () => write({ level: 'error', message: 'upload failed', first: 'x'.repeat(1500), second: 'x'.repeat(1500), status: 500 })) as string;
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(2048);
    const line = JSON.parse(text) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'error', message: 'upload failed', request_id: 'req-2', trace_id: 'a'.repeat(32), status: 500, _truncated: 1 });
    expect(line.timestamp).toEqual(expect.any(String));
    expect(line).toHaveProperty('first');
    expect(line).not.toHaveProperty('second');
    const later = format.transformLater({ level: 'info', message: 'm', a: 'x'.repeat(1500), b: 'x'.repeat(1500) } as never) as Record<symbol, unknown>;
    expect(JSON.parse(String(later[MESSAGE]))).toMatchObject({ a: 'x'.repeat(1500), _truncated: 1 });
    expect(stats.truncatedLines).toBe(2);
  });
});

describe('createTimestampClock', () => {
  it('writes what toISOString writes, across milliseconds, seconds, days and years', () => {
    const instants = [
      Date.UTC(2026, 10, 22, 19, 7, 32, 0),
      Date.UTC(2026, 10, 22, 19, 7, 32, 7),
      Date.UTC(2026, 10, 22, 19, 7, 32, 999),
      Date.UTC(2026, 10, 22, 19, 7, 33, 0),
      Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      Date.UTC(2027, 0, 1, 0, 0, 0, 1),
      Date.UTC(2027, 0, 1, 0, 0, 0, 1),
      Date.UTC(1969, 11, 31, 23, 59, 59, 500),
    ];
    let index = 0;
    const clock = createTimestampClock(() => instants[index] as number);
    for (index = 0; index < instants.length; index += 1) {
      expect(clock.now()).toBe(new Date(instants[index] as number).toISOString());
    }
  });
});

describe('request ids on a line', () => {
  it('follow the context when its trace ids change between lines', () => {
    const { write } = setup();
    const request = createRequestContext('req-1');
    request.traceId = 'a'.repeat(32);
    request.spanId = 'b'.repeat(16);
    expect(JSON.parse(write({ [LINE_CONTEXT]: request }) as string)).toMatchObject({ request_id: 'req-1', trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16) });
    request.spanId = 'c'.repeat(16);
    expect(JSON.parse(write({ [LINE_CONTEXT]: request }) as string)).toMatchObject({ request_id: 'req-1', span_id: 'c'.repeat(16) });
  });
});

describe('lines made when their batch is written (transformLater)', () => {
  function later(format: ReturnType<typeof setup>['format'], fields: Record<string | symbol, unknown>): unknown {
    const out = format.transformLater(Object.assign({ level: 'info', message: 'm' }, fields) as never);
    return out === false ? false : out[MESSAGE];
  }

  it('writes what transform writes, from the time, ids and request fields of the moment it was logged', () => {
    const { context, format, recorded, write } = setup();
    const request = createRequestContext('req-1');
    request.traceId = 'a'.repeat(32);
    request.spanId = 'b'.repeat(16);
    const before = Date.now();
    const message = context.run(request, () => {
      context.set('tenant', 't-1');
      const pending = later(format, { status: 200 });
      context.set('tenant', 'changed later');
      context.set('added', 'later');
      return pending;
    });
    request.spanId = 'c'.repeat(16);
    expect(typeof message).toBe('object');
    expect(recorded).toEqual([]);

    const text = String(message);
    const line = JSON.parse(text) as Record<string, unknown>;
    expect(line).toMatchObject({ request_id: 'req-1', trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16), tenant: 't-1', status: 200 });
    expect(line).not.toHaveProperty('added');
    expect(Date.parse(line.timestamp as string)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(line.timestamp as string)).toBeLessThanOrEqual(Date.now());
    // Made once: the timeline sees the line once, however often it is read.
    expect(String(message)).toBe(text);
    expect(recorded).toEqual([['req-1', text]]);

    request.spanId = 'b'.repeat(16);
    const now = JSON.parse(context.run(request, () => write({ status: 200 })) as string) as Record<string, unknown>;
    expect({ ...line, timestamp: undefined }).toEqual({ ...now, timestamp: undefined, tenant: 't-1', added: undefined });
  });

  it('makes a line with an object among its fields or its request fields at once: the object may change', () => {
    const { context, format } = setup();
    const nested = { a: 1 };
    expect(typeof later(format, { nested })).toBe('string');
    expect(typeof later(format, { error: new Error('boom') })).toBe('string');
    const request = createRequestContext('req-2');
    context.run(request, () => {
      context.set('user', { id: 'u-1' });
      expect(typeof later(format, { status: 200 })).toBe('string');
    });
  });

  it('still drops the info lines of an unsampled request at once', () => {
    const { context, format, stats } = setup();
    const request = createRequestContext('req-3');
    request.sampled = false;
    context.run(request, () => {
      expect(later(format, {})).toBe(false);
      expect(typeof later(format, { level: 'warn' })).toBe('object');
    });
    expect(stats.droppedBySampling).toBe(1);
  });
});
