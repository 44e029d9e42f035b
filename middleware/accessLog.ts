import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { LINE_CONTEXT, type RequestContext } from '../src/context';
import { LOG_LEVELS } from '../src/logLevels';
import type { LogStats } from '../src/logStats';
import type { SightlineLogger } from '../src/logger';
import type { StreamFigures, StreamOutcome } from '../src/streamObservation';
import { roundToThousandths } from '../src/roundToThousandths';
import { countBytes } from './byteCounter';
import type { PatchSet } from './patches';
import { pathMatcher } from '../src/pathMatcher';
import { whenResponseEnds } from './responseEnd';
import { captureRouteTemplate, routeTemplateOf } from './routeTemplate';

export type RequestOutcome = StreamOutcome;

export interface AccessLogOptions {
  readonly logger: SightlineLogger;
  /** Path prefixes not logged (matched on whole segments). Default: none. */
  readonly excludePaths?: readonly string[];
  /** Counts `request started`/`request completed` lines dropped by sampling. */
  readonly stats?: LogStats;
  /** `target` of the access-log lines. Default `http`. */
  readonly target?: string;
  /** The instance's patches (byte counting, route templates). */
  readonly patches: PatchSet;
}

export type AccessLogStep = (req: IncomingMessage, res: ServerResponse, context: RequestContext) => void;

/**
 * Logs `request started` when a request arrives and `request completed` exactly once when
 * it ends, however it ends: `finish` for a response written out, `close` for a client that
 * left first (`outcome: client_aborted`, with the bytes that were written until then).
 * A streamed response adds its figures (time to first event, gaps, events).
 */
export function accessLogStep(options: AccessLogOptions): AccessLogStep {
  const { logger, stats, target = 'http', patches } = options;
  const isExcluded = pathMatcher('accessLog', options.excludePaths ?? []);

  return function observeRequest(req, res, context) {
    const url = req.url ?? '/';
    if (isExcluded(url)) return;
    const counts = countBytes(patches, req, res, context);
    captureRouteTemplate(patches, req);

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

    whenResponseEnds(res, () => {
      const stream = context.stream?.finish(res.writableEnded);
      const outcome: RequestOutcome = stream?.outcome ?? (res.writableEnded ? 'completed' : 'client_aborted');
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
        route: routeTemplateOf(context),
        status,
        latency_ms: roundToThousandths(performance.now() - context.startedAt),
        bytes_in: counts.bytesIn,
        bytes_out: counts.bytesOut,
        outcome,
        ...(stream === undefined ? undefined : streamFields(stream)),
      });
    });
  };
}

function streamFields(stream: StreamFigures): Record<string, unknown> {
  return {
    upstream: stream.upstream,
    ttft_ms: stream.ttftMs === undefined ? undefined : roundToThousandths(stream.ttftMs),
    max_gap_ms: roundToThousandths(stream.maxGapMs),
    max_content_gap_ms: roundToThousandths(stream.maxContentGapMs),
    events: stream.events,
    keepalives: stream.keepalives,
    stream_duration_ms: roundToThousandths(stream.durationMs),
    outcome_reason: stream.reason,
  };
}

function isLevelEnabled(logger: SightlineLogger, level: keyof typeof LOG_LEVELS): boolean {
  const threshold = (LOG_LEVELS as Record<string, number>)[logger.level];
  return threshold === undefined || LOG_LEVELS[level] <= threshold;
}
