import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { RecentErrors } from '../src/dashboard/recentErrors';
import type { ErrorRateMonitor } from '../src/errorRateMonitor';
import type { Redactor } from '../src/redaction';
import { existingRequestContext } from './requestState';
import { UNMATCHED_ROUTE } from './routeTemplate';

export interface ResponseOutcomeOptions {
  readonly errorRate: Pick<ErrorRateMonitor, 'record'>;
  readonly recentErrors: Pick<RecentErrors, 'record'>;
  /** Failure messages pass through it before the dashboard lists them. */
  readonly redactor: Redactor;
}

/**
 * What every ended response tells the error-rate monitor (5xx or not) and, when it failed
 * (a 5xx, or a stream that ended on an upstream error or a timeout), the recent-errors list.
 */
export function responseOutcomeRecorder(options: ResponseOutcomeOptions): (res: ServerResponse) => void {
  const { errorRate, recentErrors, redactor } = options;
  return function recordOutcome(res) {
    const failed = res.statusCode >= 500;
    errorRate.record(failed);
    const requestContext = existingRequestContext(res.req);
    const stream = requestContext?.stream?.finish(res.writableEnded);
    const streamFailed = stream !== undefined && (stream.outcome === 'upstream_error' || stream.outcome === 'timeout');
    if (!failed && !streamFailed) return;
    const message =
      requestContext?.failure ??
      (streamFailed ? `stream ended: ${stream.outcome}${stream.reason === undefined ? '' : ` (${stream.reason})`}` : (STATUS_CODES[res.statusCode] ?? 'failed'));
    recentErrors.record({
      time: new Date().toISOString(),
      request_id: requestContext?.requestId ?? '',
      method: res.req.method ?? '',
      route: requestContext?.route ?? UNMATCHED_ROUTE,
      status: res.statusCode,
      message: redactor.string(message).slice(0, 300),
    });
  };
}
