import { PassThrough, Writable } from 'node:stream';
import { BatchedStreamTransport } from '../../src/batchedStreamTransport';

const MESSAGE = Symbol.for('message');
const LEVEL = Symbol.for('level');

function info(level: string, line: string): Record<string | symbol, unknown> {
  return { level, message: line, [LEVEL]: level, [MESSAGE]: line };
}

function recordingStream(): { stream: Writable; writes: string[] } {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writes.push(chunk.toString());
      callback();
    },
  });
  return { stream, writes };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const after = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('BatchedStreamTransport', () => {
  it('writes the lines logged within the flush delay with a single write', async () => {
    const { stream, writes } = recordingStream();
    const transport = new BatchedStreamTransport({ stream, flushDelayMs: 30 });
    transport.log(info('info', 'a'), () => undefined);
    transport.log(info('info', 'b'), () => undefined);
    await nextTurn();
    transport.log(info('debug', 'c'), () => undefined);
    expect(writes).toEqual([]);
    await after(60);
    expect(writes).toEqual(['a\nb\nc\n']);
  });

  it('turns a message that is not yet text into text when its batch is written, in order', () => {
    const { stream, writes } = recordingStream();
    const transport = new BatchedStreamTransport({ stream });
    const made: string[] = [];
    const later = { toString: () => (made.push('b'), 'b') };
    transport.log(info('info', 'a'), () => undefined);
    transport.log({ level: 'info', [LEVEL]: 'info', [MESSAGE]: later }, () => undefined);
    transport.log(info('info', 'c'), () => undefined);
    expect(made).toEqual([]);
    transport.flush();
    expect(made).toEqual(['b']);
    expect(writes).toEqual(['a\nb\nc\n']);
  });

  it('writes error and fatal lines at once, after what was buffered before them', () => {
    const { stream, writes } = recordingStream();
    const transport = new BatchedStreamTransport({ stream });
    transport.log(info('info', 'before'), () => undefined);
    transport.log(info('error', 'boom'), () => undefined);
    expect(writes).toEqual(['before\nboom\n']);
    transport.log(info('fatal', 'dead'), () => undefined);
    expect(writes).toEqual(['before\nboom\n', 'dead\n']);
  });

  it('forces a write when maxBufferedLines is reached', () => {
    const { stream, writes } = recordingStream();
    const transport = new BatchedStreamTransport({ stream, maxBufferedLines: 2 });
    transport.log(info('info', '1'), () => undefined);
    expect(writes).toEqual([]);
    transport.log(info('info', '2'), () => undefined);
    expect(writes).toEqual(['1\n2\n']);
  });

  it('flushes on demand and is idle afterwards', async () => {
    const { stream, writes } = recordingStream();
    const transport = new BatchedStreamTransport({ stream });
    transport.log(info('info', 'x'), () => undefined);
    transport.flush();
    expect(writes).toEqual(['x\n']);
    await nextTurn();
    expect(writes).toEqual(['x\n']);
  });

  it('holds an exit listener only while lines are pending', async () => {
    const before = process.listenerCount('exit');
    const transport = new BatchedStreamTransport({ stream: new PassThrough() });
    transport.log(info('info', 'x'), () => undefined);
    expect(process.listenerCount('exit')).toBe(before + 1);
    await after(50);
    expect(process.listenerCount('exit')).toBe(before);
  });

  it('counts a stream that throws or errors instead of throwing', async () => {
    const errors: unknown[] = [];
    const throwing = new Writable({ write: () => undefined });
    throwing.write = () => {
      throw new Error('disk full');
    };
    const transport = new BatchedStreamTransport({ stream: throwing, onError: (e) => errors.push(e) });
    expect(() => transport.log(info('error', 'x'), () => undefined)).not.toThrow();
    expect(errors).toHaveLength(1);

    const failing = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('EPIPE'));
      },
    });
    const second = new BatchedStreamTransport({ stream: failing, onError: (e) => errors.push(e) });
    second.log(info('error', 'y'), () => undefined);
    await nextTurn();
    expect(errors).toHaveLength(2);
  });

  it('rejects a nonsensical buffer bound at construction', () => {
    expect(() => new BatchedStreamTransport({ stream: new PassThrough(), maxBufferedLines: 0 })).toThrow(
      /maxBufferedLines must be a positive integer, got 0/,
    );
    expect(() => new BatchedStreamTransport({ stream: new PassThrough(), flushDelayMs: -1 })).toThrow(
      /flushDelayMs must be a non-negative number, got -1/,
    );
  });
});

describe('BatchedStreamTransport with a message that cannot become text', () => {
  it('writes the rest of the batch and reports the failure', () => {
    const { stream, writes } = recordingStream();
    const errors: unknown[] = [];
    const transport = new BatchedStreamTransport({ stream, onError: (error) => errors.push(error) });
    const broken = {
      toString: () => {
        throw new Error('no text');
      },
    };
    transport.log(info('info', 'a'), () => undefined);
    transport.log({ level: 'info', [LEVEL]: 'info', [MESSAGE]: broken }, () => undefined);
    transport.log(info('info', 'c'), () => undefined);
    expect(() => transport.flush()).not.toThrow();
    expect(writes).toEqual(['a\nc\n']);
    expect(errors).toEqual([new Error('no text')]);
  });
});
