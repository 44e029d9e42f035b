import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { RequestHandler } from 'express';
import { LINE_CONTEXT, type RequestContext } from '../src/context';
import { LOG_LEVELS } from '../src/logLevels';
import type { LogStats } from '../src/logStats';
import type { SightlineLogger } from '../src/logger';
import { requestContextOf } from './requestState';

export type RequestOutcome = 'completed' | 'client_aborted';

export interface AccessLogOptions {
  readonly logger: SightlineLogger;
  /** Path prefixes not logged (matched on whole segments). Default: none. */
  readonly excludePaths?: readonly string[];
  /** Counts `request started`/`request completed` lines dropped by sampling. */
  readonly stats?: LogStats;
  /** `target` of the access-log lines. Default `http`. */
  readonly target?: string;
}

export type AccessLogStep = (req: IncomingMessage, res: ServerResponse, context: RequestContext) => void;

type Chunk = string | Uint8Array;

const UNMATCHED_ROUTE = 'unmatched';

/**
 * Logs `request started` when a request arrives and `request completed` exactly once when
 * it ends, however it ends: `finish` for a response written out, `close` for a client that
 * left first (`outcome: client_aborted`, with the bytes that were written until then).
 */
export function accessLogStep(options: AccessLogOptions): AccessLogStep {
  const { logger, stats, target = 'http' } = options;
  const isExcluded = pathMatcher(options.excludePaths ?? []);

  return function observeRequest(req, res, context) {
    const url = req.url ?? '/';
    if (isExcluded(url)) return;
    const startedAt = performance.now();
    const contentLength = req.headers['content-length'];
    const counts: ByteCounts = {
      bytesIn: contentLength === undefined ? 0 : Number(contentLength) || 0,
      bytesOut: 0,
      write: res.write,
      end: res.end,
      push: req.push,
    };
    let finished = false;

    // The wrappers and the route accessor are shared functions reading state from Symbols:
    // per-request closures here would give every request object a hidden class of its own.
    (res as CountedResponse)[kCounts] = counts;
    res.write = countingWrite;
    res.end = countingEnd;
    if (contentLength === undefined && req.headers['transfer-encoding'] !== undefined) {
      // A chunked body has no length up front: count what the parser hands over.
      (req as CountedRequest)[kCounts] = counts;
      req.push = countingPush;
    }
    (req as CountedRequest)[kRouteContext] = context;
    Object.defineProperty(req, 'route', ROUTE_ACCESSOR);

    const wroteStarted = context.sampled && isLevelEnabled(logger, 'info');
    if (wroteStarted) {
      logger.log({
        level: 'info',
        message: 'request started',
        [LINE_CONTEXT]: context,
        target,
        method: req.method,
        url,
        bytes_in: counts.bytesIn,
        user_agent: req.headers['user-agent'],
        remote_addr: req.socket.remoteAddress,
      });
    } else if (!context.sampled && stats !== undefined) {
      stats.droppedBySampling += 1;
    }

    const onDone = (): void => {
      res.removeListener('finish', onDone);
      res.removeListener('close', onDone);
      if (finished) return;
      finished = true;
      const outcome: RequestOutcome = res.writableEnded ? 'completed' : 'client_aborted';
      const status = res.statusCode;
      const level = status >= 500 ? 'error' : status >= 400 || outcome !== 'completed' ? 'warn' : 'info';
      if (level === 'info' && !context.sampled) {
        if (stats !== undefined) stats.droppedBySampling += 1;
        return;
      }
      if (!isLevelEnabled(logger, level)) return;
      logger.log({
        level,
        message: 'request completed',
        [LINE_CONTEXT]: context,
        target,
        method: req.method,
        // A request whose started line was sampled away still says where it went.
        url: wroteStarted ? undefined : url,
        route: context.route ?? UNMATCHED_ROUTE,
        status,
        latency_ms: Math.round((performance.now() - startedAt) * 1000) / 1000,
        bytes_in: counts.bytesIn,
        bytes_out: counts.bytesOut,
        outcome,
      });
    };
    res.on('finish', onDone);
    res.on('close', onDone);
  };
}

export function accessLog(options: AccessLogOptions): RequestHandler {
  const step = accessLogStep(options);
  return function accessLogMiddleware(req, res, next) {
    step(req, res, requestContextOf(req));
    next();
  };
}

const kCounts = Symbol('sightline.byteCounts');
const kRoute = Symbol('sightline.route');
const kRouteContext = Symbol('sightline.routeContext');

interface ByteCounts {
  bytesIn: number;
  bytesOut: number;
  readonly write: ServerResponse['write'];
  readonly end: ServerResponse['end'];
  readonly push: IncomingMessage['push'];
}

type CountedResponse = ServerResponse & { [kCounts]: ByteCounts };
type CountedRequest = IncomingMessage & {
  [kCounts]?: ByteCounts;
  [kRoute]?: unknown;
  [kRouteContext]?: RequestContext;
  baseUrl?: string;
};

const countingWrite = function countingWrite(this: CountedResponse, chunk: Chunk, ...rest: unknown[]) {
  const counts = this[kCounts];
  if (!this.destroyed && chunk !== undefined && chunk !== null) counts.bytesOut += byteLength(chunk, rest[0]);
  return (counts.write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
} as ServerResponse['write'];

const countingEnd = function countingEnd(this: CountedResponse, ...args: unknown[]) {
  const counts = this[kCounts];
  const chunk = args[0];
  if (!this.destroyed && !this.writableEnded && (typeof chunk === 'string' || chunk instanceof Uint8Array)) {
    counts.bytesOut += byteLength(chunk, args[1]);
  }
  return (counts.end as (...a: unknown[]) => ServerResponse).apply(this, args);
} as ServerResponse['end'];

const countingPush = function countingPush(this: CountedRequest, chunk: unknown, encoding?: BufferEncoding) {
  const counts = this[kCounts] as ByteCounts;
  if (chunk !== null && chunk !== undefined) counts.bytesIn += byteLength(chunk as Chunk, encoding);
  return counts.push.call(this, chunk, encoding);
};

/**
 * Records the route template (mount path + route path, e.g. `/v1/items/:id`) at the moment
 * the router picks the route: later, when the response ends or an error handler runs,
 * `req.baseUrl` may already have been unwound to a parent router's.
 */
const ROUTE_ACCESSOR: PropertyDescriptor = {
  configurable: true,
  enumerable: true,
  get(this: CountedRequest) {
    return this[kRoute];
  },
  set(this: CountedRequest, value: { path?: unknown } | undefined) {
    this[kRoute] = value;
    const context = this[kRouteContext];
    if (value !== undefined && value !== null && context !== undefined) {
      context.route = (this.baseUrl ?? '') + routePath(value.path);
    }
  },
};

function routePath(path: unknown): string {
  if (typeof path === 'string') return path;
  if (Array.isArray(path)) return path.map(String).join('|');
  return String(path);
}

function byteLength(chunk: Chunk, encoding: unknown): number {
  if (typeof chunk === 'string') {
    return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  }
  return chunk.byteLength;
}

function isLevelEnabled(logger: SightlineLogger, level: keyof typeof LOG_LEVELS): boolean {
  const threshold = (LOG_LEVELS as Record<string, number>)[logger.level];
  return threshold === undefined || LOG_LEVELS[level] <= threshold;
}

function pathMatcher(prefixes: readonly string[]): (url: string) => boolean {
  if (prefixes.length === 0) return () => false;
  for (const prefix of prefixes) {
    if (!prefix.startsWith('/')) {
      throw new TypeError(`accessLog: excludePaths entries must start with '/', got ${JSON.stringify(prefix)}`);
    }
  }
  return (url) => {
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    return prefixes.some((prefix) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`));
  };
}
