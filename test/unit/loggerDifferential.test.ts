import { PassThrough } from 'node:stream';
import winston from 'winston';
import TransportStream from 'winston-transport';
import { BatchedStreamTransport } from '../../src/batchedStreamTransport';
import { createContextStore, createRequestContext, LINE_CONTEXT, type ContextStore } from '../../src/context';
import { createLineFormat } from '../../src/logFormat';
import { createLogger, type LoggerHandle } from '../../src/logger';
import { LOG_LEVEL_NAMES, LOG_LEVELS, MESSAGE, type LogLevel } from '../../src/logLevels';
import type { LogLimits } from '../../src/logLimits';
import { createLogStats, type LogStats } from '../../src/logStats';
import { createRedactor } from '../../src/redaction';

/**
 * sightline's write path against winston's own: the same calls go to a logger made by
 * `createLogger` and to a plain winston logger with the same format and transports (no
 * direct path, no containment), and both must write the same bytes, line for line.
 */

const NOW = Date.UTC(2026, 11, 8, 9, 30, 15, 123);
const IDENTITY = { service: 'svc', version: '1.2.3', env: 'test', defaultTarget: 'app' };
const LIMITS: LogLimits = { maxStringLength: 200, maxLineBytes: 4096 };

/** A stream whose writes are kept as one text. */
function textSink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

/** A transport of a user's own: keeps each finished line, calling back at once or on the next turn. */
class RecordingTransport extends TransportStream {
  text = '';
  constructor(
    options: TransportStream.TransportStreamOptions,
    private readonly later = false,
  ) {
    super(options);
  }

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    this.text += `${String(info[MESSAGE])}\n`;
    if (this.later) setImmediate(next);
    else next();
  }
}

/** A user's format: drops silly lines, prefixes the rest with their level. */
const prefixingFormat = (): winston.Logform.Format =>
  winston.format.combine(
    winston.format((info) => (info.level === 'silly' ? false : info))(),
    winston.format.printf((info) => `${info.level.toUpperCase()} ${String(info[MESSAGE])}`),
  );

/** A user's format that writes winston's JSON of the info object instead of sightline's line. */
const jsonFormat = (): winston.Logform.Format => winston.format.combine(winston.format.label({ label: 'mine' }), winston.format.json());

/** One logger's destinations: what `createLogger` is given, and what it writes, as text. */
interface Destinations {
  readonly transports?: TransportStream[];
  readonly destination?: NodeJS.WritableStream;
  readonly extraTransports?: TransportStream[];
  output(): string;
}

interface Configuration {
  readonly name: string;
  /** Whether sightline's logger should write around winston's streams with these transports. */
  readonly direct: boolean;
  /** Fresh destinations; `reference` asks for the transports a plain winston logger gets instead of `destination`. */
  make(reference: boolean): Destinations;
  /** Reads the logger once it is made; what it read joins the output. */
  read?(logger: winston.Logger): () => string;
}

/** The default transport: sightline makes it from `destination`; the plain winston logger is given one. */
function defaultTransport(reference: boolean): { output: () => string; transports?: TransportStream[]; destination?: NodeJS.WritableStream } {
  const sink = textSink();
  return reference ? { output: sink.text, transports: [new BatchedStreamTransport({ stream: sink.stream })] } : { output: sink.text, destination: sink.stream };
}

const CONFIGURATIONS: readonly Configuration[] = [
  {
    name: 'the default transport',
    direct: true,
    make: defaultTransport,
  },
  {
    name: 'the default transport and a second batched one (as the log export adds)',
    direct: true,
    make(reference) {
      const main = defaultTransport(reference);
      const extra = textSink();
      return { ...main, extraTransports: [new BatchedStreamTransport({ stream: extra.stream })], output: () => `${main.output()}--\n${extra.text()}` };
    },
  },
  {
    name: "the default transport, with the logger also read as a stream (a 'data' listener)",
    direct: false,
    make: defaultTransport,
    read(logger) {
      let read = '';
      logger.on('data', (info: Record<string | symbol, unknown>) => (read += `${String(info[MESSAGE])}\n`));
      return () => read;
    },
  },
  {
    name: 'a batched transport with a level of its own, beside the default one',
    direct: false,
    make() {
      const all = textSink();
      const warn = textSink();
      return {
        transports: [new BatchedStreamTransport({ stream: all.stream }), new BatchedStreamTransport({ stream: warn.stream, level: 'warn' })],
        output: () => `${all.text()}--\n${warn.text()}`,
      };
    },
  },
  {
    name: 'a batched transport with a format of its own',
    direct: false,
    make() {
      const formatted = textSink();
      return { transports: [new BatchedStreamTransport({ stream: formatted.stream, format: prefixingFormat() })], output: formatted.text };
    },
  },
  {
    name: 'transports of your own, with custom formats and levels, calling back at once or later',
    direct: false,
    make() {
      const stream = textSink();
      const plain = new RecordingTransport({});
      const prefixed = new RecordingTransport({ format: prefixingFormat(), level: 'debug' }, true);
      const json = new RecordingTransport({ format: jsonFormat() });
      const winstonStream = new winston.transports.Stream({ stream: stream.stream, format: prefixingFormat() });
      return {
        transports: [plain, prefixed, json, winstonStream],
        output: () => [plain.text, prefixed.text, json.text, stream.text()].join('--\n'),
      };
    },
  },
  {
    name: 'the default transport beside one of your own',
    direct: false,
    make() {
      const sink = textSink();
      const mine = new RecordingTransport({ level: 'warn' }, true);
      return { transports: [new BatchedStreamTransport({ stream: sink.stream }), mine], output: () => `${sink.text()}--\n${mine.text}` };
    },
  },
];

interface Subject {
  readonly logger: winston.Logger;
  readonly context: ContextStore;
  readonly stats: LogStats;
  readonly destinations: Destinations;
  flush(): void;
}

function formatOptions() {
  return { identity: IDENTITY, context: createContextStore(), redactor: createRedactor(), stats: createLogStats(), limits: LIMITS };
}

function sightline(configuration: Configuration): Subject & { handle: LoggerHandle } {
  const options = formatOptions();
  const destinations = configuration.make(false);
  const handle = createLogger({ ...options, level: 'info', ...destinations });
  return { ...options, logger: handle.logger, destinations: withReader(destinations, configuration, handle.logger), flush: handle.flush, handle };
}

/** A plain winston logger: sightline's format, the same transports, winston's streams only. */
function reference(configuration: Configuration): Subject {
  const options = formatOptions();
  const destinations = configuration.make(true);
  const transports = [...(destinations.transports ?? []), ...(destinations.extraTransports ?? [])];
  const logger = winston.createLogger({ levels: LOG_LEVELS, level: 'info', format: createLineFormat(options), transports, exitOnError: false });
  const flush = (): void => {
    for (const transport of transports) if (transport instanceof BatchedStreamTransport) transport.flush();
  };
  return { ...options, logger, destinations: withReader(destinations, configuration, logger), flush };
}

function withReader(destinations: Destinations, configuration: Configuration, logger: winston.Logger): Destinations {
  const read = configuration.read?.(logger);
  return read === undefined ? destinations : { ...destinations, output: () => `${destinations.output()}--\n${read()}` };
}

type Leveled = winston.Logger & Record<LogLevel, (...args: unknown[]) => winston.Logger>;

/** A fresh error whose stack is the same text in both runs (a real one would name the caller of each). */
function withStack<E extends Error>(error: E): E {
  error.stack = `${error.name}: ${error.message}\n    at connect (/srv/app/db.js:10:5)\n    at main (/srv/app/index.js:3:1)`;
  return error;
}

function failure(): Error {
  const error = withStack(new Error('connection refused', { cause: withStack(new Error('ECONNREFUSED 127.0.0.1:5432')) }));
  return Object.assign(error, { code: 'ECONNREFUSED' });
}

/** Every shape of call, each with arguments of its own (winston changes some of them). */
function linesOfEveryShape({ logger }: Subject): void {
  const log = logger as unknown as Leveled;
  for (const level of LOG_LEVEL_NAMES) log[level](`a line at ${level}`, { n: 1 });
  logger.level = 'silly';
  for (const level of LOG_LEVEL_NAMES) log[level](`a line at ${level} once the level is silly`);
  logger.level = 'info';
  logger.log('warn', 'through log()', { via: 'log' });
  logger.log({ level: 'error', message: 'one object', code: 7 });
  log.info();
  log.info(42 as never);
  log.info(null as never);
  log.info({ message: 'a message object', status: 200 } as never);
  log.info({ status: 204, route: '/items/:id' } as never);
  log.info(['an', 'array', 'message'] as never);

  const child = logger.child({ component: 'db', pool: 'main' });
  child.info('a child line', { query: 'select 1' });
  child.child({ shard: 3 }).warn('a grandchild line');
  child.error(failure());

  log.error(failure());
  log.error('request failed', failure());
  log.warn('with an error among the fields', { error: failure(), attempt: 2 });
  log.error({ message: withStack(new TypeError('a message that is an error')) } as never);
  log.error(withStack(new RangeError('no cause')));

  log.info('nested', { order: { id: 'o-1', items: [{ sku: 'a', qty: 2 }, { sku: 'b', tags: ['x', ['y']] }], customer: { address: { city: 'Lyon' } } } });
  log.info('an array as the fields', [1, 'two', { three: 3 }] as never);
  log.info('symbols', { [Symbol('hidden')]: 'not written', kind: Symbol('a value'), ok: true });
  log.info('getters', Object.defineProperty({ plain: 1 }, 'computed', { enumerable: true, get: () => 'made on read' }));
  log.info('odd values', { big: 12n, when: new Date(NOW), nothing: null, missing: undefined, nan: Number.NaN, huge: Infinity, fn: () => 1 });
  const circular: Record<string, unknown> = { name: 'loop' };
  circular.self = circular;
  log.info('circular', { circular });

  log.info('user %s did %d things', 'ada', 3);
  log.info('%s with fields', 'splat', { extra: true });
  log.info('several', 'extra', 'arguments');
  log.info('two field objects', { first: 1 }, { second: 2 });
  log.info('a message among the fields', { message: 'appended', stack: 'not an error' });
  log.info('members sightline writes itself', { level: 'fatal', timestamp: 'then', service: 'other', target: 'billing', request_id: 'x' });
  log.warn('a client sent exception: true', { exception: true, item: 'x' });
  log.info('secrets', { password: 'hunter2', headers: { authorization: 'Bearer abc.def.ghi' }, note: 'token=s3cr3t-value' });
  log.info('x'.repeat(500), { long: 'y'.repeat(500), many: Array.from({ length: 300 }, (_, i) => `item-${i}`) });
}

/**
 * Lines of requests, logged once the transports have caught up: while a transport that calls
 * back later holds 16 lines, winston queues the next ones unformatted, and formats them in
 * whatever async context the transport's callback runs.
 */
function linesOfRequests({ logger, context }: Subject): void {
  const log = logger as unknown as Leveled;
  const request = createRequestContext('req-1');
  request.traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  request.spanId = '00f067aa0ba902b7';
  context.run(request, () => {
    log.info('in a request');
    context.set('user_id', 'u-9');
    context.set('tenant', { id: 't-1' });
    log.info('with request fields', { status: 200 });
    log.info('a field of its own wins', { user_id: 'mine' });
  });
  const unsampled = { ...createRequestContext('req-2'), sampled: false };
  context.run(unsampled, () => {
    log.info('dropped by sampling');
    log.warn('kept although unsampled');
  });
  logger.log({ level: 'info', message: 'pinned to a request', [LINE_CONTEXT]: request } as never);
}

/** What changes whether a line is written: silence, and a level the logger does not know. */
function linesAroundSilence({ logger }: Subject): void {
  const log = logger as unknown as Leveled;
  logger.silent = true;
  log.error('while the logger is silent');
  logger.silent = false;
  const first = logger.transports[0] as TransportStream;
  first.silent = true;
  log.warn('while the first transport is silent');
  first.silent = false;
  logger.log('bogus', 'a level the logger does not know');
  log.info('the last line');
}

const CORPUS = [linesOfEveryShape, linesOfRequests, linesAroundSilence];

async function runCorpus(subject: Subject): Promise<void> {
  for (const phase of CORPUS) {
    phase(subject);
    await settle(subject);
  }
}

async function settle(subject: Subject): Promise<void> {
  subject.flush();
  await new Promise((resolve) => setTimeout(resolve, 30));
  subject.flush();
  await new Promise((resolve) => setImmediate(resolve));
}

describe('sightline writes what winston itself writes', () => {
  let consoleError: jest.SpyInstance;
  beforeEach(() => {
    jest.spyOn(Date, 'now').mockReturnValue(NOW);
    // winston's own warning for a level it does not know, on both paths.
    consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it.each(CONFIGURATIONS.map((configuration) => [configuration.name, configuration] as const))(
    'byte for byte, with %s',
    async (_name, configuration) => {
      const ours = sightline(configuration);
      await runCorpus(ours);
      const warningsOfOurs = consoleError.mock.calls.length;

      const theirs = reference(configuration);
      await runCorpus(theirs);

      const written = ours.destinations.output();
      expect(written.split('\n').length).toBeGreaterThan(40);
      expect(written).toBe(theirs.destinations.output());
      expect(ours.stats).toEqual(theirs.stats);
      expect(warningsOfOurs).toBe(1);
      expect(consoleError.mock.calls.length).toBe(2);
      if (configuration.direct) expect(ours.handle.directLines()).toBeGreaterThan(40);
      else expect(ours.handle.directLines()).toBe(0);
    },
  );
});
