import { PassThrough, Writable } from 'node:stream';
import Transport from 'winston-transport';
import { createContextStore, createRequestContext } from '../../src/context';
import { createLogger } from '../../src/logger';
import { MESSAGE } from '../../src/logLevels';
import { createRedactor } from '../../src/redaction';

function loggerTo(destination: NodeJS.WritableStream, context = createContextStore(), transports?: Transport[]) {
  const stats = { droppedBySampling: 0, formatErrors: 0, transportErrors: 0 } as never;
  return createLogger({
    identity: { service: 'svc', version: '1', env: 'test', defaultTarget: 'app' },
    level: 'info',
    context,
    redactor: createRedactor(),
    stats,
    destination,
    transports,
  });
}

function collect(): { stream: PassThrough; lines: () => Record<string, unknown>[] } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, lines: () => text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) };
}

class ListTransport extends Transport {
  readonly seen: string[] = [];
  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    this.seen.push(String(info[MESSAGE]));
    setImmediate(next);
  }
}

describe('logger writes', () => {
  it('writes lines in order, filtered by level, whichever way they go', async () => {
    const out = collect();
    const { logger, flush } = loggerTo(out.stream);
    logger.info('one');
    logger.debug('not at info');
    logger.log({ level: 'warn', message: 'two' });
    logger.info('three', { n: 3 });
    flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.lines().map((line) => [line.level, line.message])).toEqual([
      ['info', 'one'],
      ['warn', 'two'],
      ['info', 'three'],
    ]);
    expect(out.lines()[2]).toMatchObject({ n: 3 });
  });

  it('gives every transport every line in order once a transport of another kind is added', async () => {
    const out = collect();
    const { logger, flush } = loggerTo(out.stream);
    const other = new ListTransport();
    logger.info('before');
    logger.add(other);
    for (let index = 0; index < 5; index += 1) logger.info(`line ${index}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    flush();
    await new Promise((resolve) => setImmediate(resolve));
    const expected = ['line 0', 'line 1', 'line 2', 'line 3', 'line 4'];
    expect(other.seen.map((line) => JSON.parse(line).message)).toEqual(expected);
    expect(out.lines().map((line) => line.message)).toEqual(['before', ...expected]);
  });

  it("still feeds a 'data' listener on the logger, and writes nothing after end()", async () => {
    const out = collect();
    const { logger, flush } = loggerTo(out.stream);
    const read: unknown[] = [];
    logger.on('data', (info: Record<string, unknown>) => read.push(info.message));
    logger.info('seen by both');
    await new Promise((resolve) => setImmediate(resolve));
    expect(read).toEqual(['seen by both']);
    logger.end();
    await new Promise((resolve) => setImmediate(resolve));
    flush();
    const before = out.lines().length;
    logger.on('error', () => undefined);
    expect(() => logger.info('after end')).not.toThrow();
    flush();
    expect(out.lines().length).toBe(before);
  });

  it('writes a line whose field `exception` is true, on the direct path and through the streams', async () => {
    const out = collect();
    const { logger, flush } = loggerTo(out.stream);
    logger.error('direct', { exception: true });
    logger.log({ level: 'warn', message: 'direct, one object', exception: true });
    const other = new ListTransport();
    logger.add(other);
    logger.error('streamed', { exception: true });
    await new Promise((resolve) => setTimeout(resolve, 20));
    flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.lines().map((line) => [line.message, line.exception])).toEqual([
      ['direct', true],
      ['direct, one object', true],
      ['streamed', true],
    ]);
    expect(other.seen.map((line) => JSON.parse(line).message)).toEqual(['streamed']);
  });

  it('takes the direct path for every line of a known level while every transport is batched, and counts them', async () => {
    const out = collect();
    const { logger, flush, directLines } = loggerTo(out.stream);
    logger.info('plain');
    logger.error(new Error('with a stack'));
    logger.child({ component: 'db' }).warn('from a child', { nested: { deep: [1, 2] } });
    logger.debug('below the level: formatted, then left out');
    logger.log({ level: 'http', message: 'one object' });
    expect(directLines()).toBe(5);
    const other = new ListTransport();
    logger.add(other);
    logger.info('through the streams');
    expect(directLines()).toBe(5);
    await new Promise((resolve) => setTimeout(resolve, 20));
    logger.remove(other);
    logger.info('direct again');
    expect(directLines()).toBe(6);
    flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.lines().map((line) => line.message)).toEqual(['plain', 'with a stack', 'from a child', 'through the streams', 'direct again']);
  });

  it('keeps each line of its request while a transport that calls back later makes winston queue lines', async () => {
    const context = createContextStore();
    const slow = new ListTransport();
    const { logger } = loggerTo(new PassThrough(), context, [slow]);
    const a = createRequestContext('req-a');
    const b = { ...createRequestContext('req-b'), fields: { tenant: 't-b' } };
    const unsampled = { ...createRequestContext('req-c'), sampled: false };
    // winston formats a line only once the transport has room: past 16 lines, later, in the callback's context.
    context.run(a, () => Array.from({ length: 40 }, (_, i) => logger.info(`a ${i}`)));
    context.run(b, () => Array.from({ length: 40 }, (_, i) => logger.info(`b ${i}`, { n: i })));
    context.run(unsampled, () => logger.info('dropped by sampling'));
    logger.child({ component: 'db' }).info('outside any request');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const lines = slow.seen.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(81);
    expect(lines.filter((line) => String(line.message).startsWith('a ')).every((line) => line.request_id === 'req-a')).toBe(true);
    expect(lines.filter((line) => String(line.message).startsWith('b ')).every((line) => line.request_id === 'req-b' && line.tenant === 't-b')).toBe(true);
    expect(lines.at(-1)).toMatchObject({ message: 'outside any request', component: 'db' });
    expect(lines.at(-1)).not.toHaveProperty('request_id');
  });

  it('never lets a silent logger or transport write', () => {
    const sink = new Writable({ write: (_chunk, _encoding, next) => next() });
    const written: string[] = [];
    sink.write = ((chunk: string) => written.push(chunk) > 0) as never;
    const { logger, flush } = loggerTo(sink);
    logger.silent = true;
    logger.info('hidden');
    flush();
    expect(written).toEqual([]);
    logger.silent = false;
    logger.transports[0]!.silent = true;
    logger.info('hidden too');
    flush();
    expect(written).toEqual([]);
  });
});
