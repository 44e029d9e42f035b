import { PassThrough } from 'node:stream';
import { createContextStore } from '../../src/context';
import { createLogger } from '../../src/logger';
import { createLogStats } from '../../src/logStats';
import { createRedactor } from '../../src/redaction';

function setup() {
  const stats = createLogStats();
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const { logger, flush } = createLogger({
    identity: { service: 'svc', version: '1', env: 'test', defaultTarget: 'app' },
    level: 'info',
    context: createContextStore(),
    redactor: createRedactor(),
    stats,
    destination: stream,
  });
  const lines = async (): Promise<Record<string, unknown>[]> => {
    flush();
    await new Promise((resolve) => setImmediate(resolve));
    return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  };
  return { logger, stats, lines };
}

function throwingGetter<T extends object>(target: T, key: string): T {
  return Object.defineProperty(target, key, {
    enumerable: true,
    get() {
      throw new Error(`${key} cannot be read`);
    },
  });
}

describe('log calls whose arguments cannot be read', () => {
  it('write the fields that can be read and mark the one whose getter throws', async () => {
    const { logger, stats, lines } = setup();
    const meta = throwingGetter({ order: 'o-1', count: 2 }, 'customer');
    expect(logger.info('order placed', meta)).toBe(logger);
    expect(await lines()).toEqual([
      expect.objectContaining({ level: 'info', message: 'order placed', order: 'o-1', count: 2, customer: '[Unserializable]' }),
    ]);
    expect(stats.formatErrors).toBe(1);
  });

  it('write the message and say why when the fields cannot even be listed (a Proxy whose ownKeys throws)', async () => {
    const { logger, stats, lines } = setup();
    const meta = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('no keys for you');
        },
      },
    );
    expect(() => logger.warn('lookup failed', meta)).not.toThrow();
    expect(() => logger.log('error', 'lookup failed again', meta)).not.toThrow();
    expect(await lines()).toEqual([
      expect.objectContaining({ level: 'warn', message: 'lookup failed', format_error: "the log call's fields could not be read: no keys for you" }),
      expect.objectContaining({ level: 'error', message: 'lookup failed again' }),
    ]);
    expect(stats.formatErrors).toBe(2);
  });

  it('write an object given as the line whose message getter throws, with its other fields', async () => {
    const { logger, lines } = setup();
    const line = throwingGetter({ code: 'E_PAY' }, 'message');
    expect(() => logger.error(line as never)).not.toThrow();
    expect(() => logger.log(throwingGetter({ level: 'warn', code: 'E_ONE' }, 'message') as never)).not.toThrow();
    expect(await lines()).toEqual([
      expect.objectContaining({ level: 'error', message: '[Unserializable]', code: 'E_PAY' }),
      expect.objectContaining({ level: 'warn', message: '[Unserializable]', code: 'E_ONE' }),
    ]);
  });

  it('write a frozen object given as the line, which winston would set a level on', async () => {
    const { logger, lines } = setup();
    expect(() => logger.warn(Object.freeze({ message: 'frozen', id: 7 }) as never)).not.toThrow();
    expect(await lines()).toEqual([expect.objectContaining({ level: 'warn', message: 'frozen', id: 7 })]);
  });

  it("keep winston's way with a message among the fields, and a child logger's fields", async () => {
    const { logger, lines } = setup();
    const meta = throwingGetter({ message: 'of the fields', kept: true }, 'bad');
    logger.child({ component: 'billing' }).info('of the call', meta);
    expect(await lines()).toEqual([
      expect.objectContaining({ message: 'of the call of the fields', component: 'billing', kept: true, bad: '[Unserializable]' }),
    ]);
  });

  it('count a call that fails once its line is being written, and do not write it twice', async () => {
    const { logger, stats, lines } = setup();
    logger.format = {
      transform() {
        throw new Error('a format of the application');
      },
    } as never;
    expect(() => logger.info('never written', { a: 1 })).not.toThrow();
    expect(await lines()).toEqual([]);
    expect(stats).toMatchObject({ transportErrors: 1, formatErrors: 0 });
  });
});
