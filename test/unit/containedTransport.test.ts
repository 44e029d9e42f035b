import winston from 'winston';
import TransportStream from 'winston-transport';
import { createContextStore } from '../../src/context';
import { ContainedTransport } from '../../src/containedTransport';
import { createLogger } from '../../src/logger';
import { MESSAGE } from '../../src/logLevels';
import { createLogStats, type LogStats } from '../../src/logStats';
import { createRedactor } from '../../src/redaction';

/** A user's transport: keeps each line's message; `fail` says what to do with a line instead. */
class UserTransport extends TransportStream {
  readonly seen: string[] = [];
  fail: ((message: string) => 'throw' | 'emit' | 'throw after next' | undefined) | undefined;
  closes = 0;

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    const message = String(info.message);
    const failure = this.fail?.(message);
    if (failure === 'throw') throw new Error(`cannot write ${message}`);
    this.seen.push(message);
    if (failure === 'emit') setImmediate(() => this.emit('error', new Error(`lost ${message}`)));
    next();
    if (failure === 'throw after next') throw new Error(`failed after writing ${message}`);
  }

  override close(): void {
    this.closes += 1;
  }
}

function loggerWith(...transports: TransportStream[]): { logger: winston.Logger; stats: LogStats } {
  const stats = createLogStats();
  const { logger } = createLogger({
    identity: { service: 'svc', version: '1', env: 'test', defaultTarget: 'app' },
    level: 'info',
    context: createContextStore(),
    redactor: createRedactor(),
    stats,
    transports,
  });
  return { logger, stats };
}

/** Everything an object holds of its own: keys, and each value or accessor. */
function ownState(target: object): Map<string | symbol, unknown> {
  const state = new Map<string | symbol, unknown>();
  for (const key of Reflect.ownKeys(target)) {
    const descriptor = Object.getOwnPropertyDescriptor(target, key)!;
    state.set(key, 'value' in descriptor ? descriptor.value : [descriptor.get, descriptor.set]);
  }
  return state;
}

const turn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 10));

describe('a transport of yours', () => {
  it('is never changed: the same log function, no property added, replaced or removed', async () => {
    const mine = new UserTransport({ level: 'info' });
    const log = mine.log;
    const before = ownState(mine);
    const listenersBefore = mine.eventNames().map((event) => [event, mine.listenerCount(event)]);
    const { logger } = loggerWith(mine);
    mine.fail = (message) => (message === 'b' ? 'throw' : message === 'c' ? 'emit' : undefined);
    logger.info('a');
    logger.info('b');
    logger.info('c');
    await turn();
    logger.info('d');
    await turn();
    expect(mine.seen).toEqual(['a', 'c', 'd']);
    mine.fail = undefined;
    // The only own property that differs is the one the test set, and the array the transport filled.
    expect(mine.log).toBe(log);
    expect(UserTransport.prototype.log).toBe(log);
    const after = ownState(mine);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [key, value] of before) {
      if (key !== 'fail' && key !== '_events' && key !== '_eventsCount') expect(after.get(key)).toBe(value);
    }
    logger.remove(mine);
    expect(mine.eventNames().map((event) => [event, mine.listenerCount(event)])).toEqual(listenersBefore);
  });

  it('where winston on its own marks it (its __winstonerror and __winstonwarn listeners)', () => {
    const mine = new UserTransport();
    winston.createLogger({ transports: [mine] });
    expect(Object.keys(mine)).toEqual(expect.arrayContaining(['__winstonerror', '__winstonwarn']));
  });

  it('that throws is counted, the caller never sees it, and it gets the next line, as the transports beside it do', async () => {
    const throwing = new UserTransport();
    const beside = new UserTransport();
    throwing.fail = (message) => (message.startsWith('bad') ? 'throw' : message === 'late' ? 'throw after next' : undefined);
    const { logger, stats } = loggerWith(throwing, beside);
    expect(() => logger.info('bad 1')).not.toThrow();
    expect(() => logger.warn('bad 2', { n: 2 })).not.toThrow();
    logger.info('late');
    logger.info('good');
    await turn();
    expect(stats.transportErrors).toBe(3);
    expect(throwing.seen).toEqual(['late', 'good']);
    expect(beside.seen).toEqual(['bad 1', 'bad 2', 'late', 'good']);
  });

  it('that emits error is counted and the error emitted on the logger, naming it; it stays attached and is not closed', async () => {
    const erroring = new UserTransport();
    erroring.fail = (message) => (message === 'lost' ? 'emit' : undefined);
    const { logger, stats } = loggerWith(erroring);
    const onLogger: unknown[][] = [];
    logger.on('error', (...args: unknown[]) => onLogger.push(args));
    logger.info('lost');
    await turn();
    logger.info('after');
    await turn();
    expect(stats.transportErrors).toBe(1);
    expect(onLogger).toEqual([[new Error('lost lost'), erroring]]);
    expect(erroring.seen).toEqual(['lost', 'after']);
    expect(logger.transports).toHaveLength(1);
    expect(erroring.closes).toBe(0);
  });

  it('keeps its level, format and silence, read when each line is written, set on it or through logger.transports', async () => {
    const mine = new UserTransport({ level: 'warn' });
    const { logger } = loggerWith(mine);
    logger.info('below warn');
    logger.warn('at warn');
    mine.level = 'debug';
    logger.debug('below the logger, which winston-transport lets through when the transport asks');
    const front = logger.transports[0] as TransportStream;
    expect(front).toBeInstanceOf(ContainedTransport);
    expect((front as ContainedTransport).transport).toBe(mine);
    front.level = 'error';
    expect(mine.level).toBe('error');
    logger.warn('below error');
    mine.silent = true;
    logger.error('while silent');
    mine.silent = false;
    mine.format = winston.format((info) => (info.message === 'dropped by its format' ? false : info))();
    logger.error('dropped by its format');
    logger.error('kept by its format');
    await turn();
    expect(mine.seen).toEqual(['at warn', 'below the logger, which winston-transport lets through when the transport asks', 'kept by its format']);
  });

  it("is closed when removed with logger.remove(yours), and ended (its 'finish') when the logger ends", async () => {
    const removed = new UserTransport();
    const ended = new UserTransport();
    const { logger } = loggerWith(removed, ended);
    logger.remove(removed);
    expect(removed.closes).toBe(1);
    expect(logger.transports).toHaveLength(1);
    logger.info('only to the one left');
    const finished = new Promise((resolve) => ended.once('finish', resolve));
    logger.end();
    await finished;
    expect(removed.seen).toEqual([]);
    expect(ended.seen).toEqual(['only to the one left']);
  });

  it('receives the finished line in info[MESSAGE]', async () => {
    const lines: string[] = [];
    const mine = new TransportStream({
      log(info: Record<string | symbol, unknown>, next: () => void) {
        lines.push(String(info[MESSAGE]));
        next();
      },
    });
    const { logger } = loggerWith(mine);
    logger.info('finished', { n: 1 });
    await turn();
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', message: 'finished', service: 'svc', n: 1 });
  });
});
