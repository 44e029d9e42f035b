import type { RequestHandler } from 'express';
import { errorBody } from '../src/errors';
import type { SightlineMetrics } from '../src/metrics';
import { requestIdOf } from './requestState';

export interface MetricsRouteOptions {
  readonly metrics: SightlineMetrics;
  /** `false` answers 404, as if there were no such route. Default true. */
  readonly enabled?: boolean;
}

/**
 * Answers the registry in Prometheus text format, or as JSON when the client prefers
 * `application/json` (Prometheus itself always gets text).
 */
export function metricsRoute(options: MetricsRouteOptions): RequestHandler {
  const { metrics, enabled = true } = options;
  return async function metricsEndpoint(req, res) {
    if (!enabled) {
      res.status(404).json(errorBody('SIGHTLINE_ERR_NOT_FOUND', requestIdOf(req), 'Metrics are switched off'));
      return;
    }
    const json = req.accepts(['text/plain', 'application/json']) === 'application/json';
    const { contentType, body } = await metrics.exposition(json);
    res.setHeader('Content-Type', contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.end(body);
  };
}
