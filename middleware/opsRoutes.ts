import { SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import express, { Router } from 'express';
import { errorBody } from '../src/errors';
import type { JobRegistry } from '../src/jobRegistry';
import type { SightlineLogger } from '../src/logger';
import type { Redactor } from '../src/redaction';
import { isValidRequestId } from '../src/requestId';
import type { RequestTimeline } from '../src/requestTimeline';
import type { RuntimeSettings } from '../src/runtimeSettings';
import { roundToThousandths } from '../src/roundToThousandths';
import { errorHandler } from './errorHandler';
import { requestIdOf } from './requestState';

/** The recent-events buffer's side of `GET /ops/events`. */
export interface RecentEventsSource {
  list(options: { readonly limit?: number; readonly name?: string }): readonly unknown[];
}

export interface OpsRoutesOptions {
  readonly settings: RuntimeSettings;
  readonly jobs: JobRegistry;
  readonly tracer: Tracer;
  readonly tracingEnabled: boolean;
  readonly logger: SightlineLogger;
  /** Job error messages pass through it before they are answered. */
  readonly redactor: Redactor;
  readonly recentEvents?: RecentEventsSource;
  /** Source of `GET /requests/:request_id`. */
  readonly timeline?: Pick<RequestTimeline, 'get'>;
}

const MAX_EVENTS = 1000;

/**
 * `/config`, `/trace/test`, `/jobs` and `/events`, meant to be mounted under `/ops` behind
 * `adminGuard()` (as `obs.routes()` does). Every answer is JSON; a bad request names what was
 * wrong and changes nothing.
 */
export function opsRoutes(options: OpsRoutesOptions): Router {
  const router = Router();
  router.use(express.json({ limit: '16kb' }));
  settingsRoutes(router, options);
  traceTestRoute(router, options);
  jobRoutes(router, options);
  eventsRoute(router, options);
  requestTimelineRoute(router, options);
  router.use(errorHandler({ logger: options.logger }));
  return router;
}

/** `GET /config` and `PUT /config`: the runtime settings, read and changed. */
function settingsRoutes(router: Router, { settings, logger }: Pick<OpsRoutesOptions, 'settings' | 'logger'>): void {
  router.get('/config', (_req, res) => {
    res.json(settings.view());
  });

  router.put('/config', (req, res) => {
    if (!req.is('application/json')) {
      res.status(415).json(errorBody('SIGHTLINE_ERR_UNSUPPORTED_MEDIA_TYPE', requestIdOf(req), 'Send the settings as application/json'));
      return;
    }
    const update = settings.update(req.body);
    if (!update.ok) {
      const detail = update.errors.map(({ field, message }) => `${field}: ${message}`).join('; ');
      logger.warn('setting change rejected', { target: 'sightline', errors: update.errors });
      res.status(400).json({ ...errorBody('SIGHTLINE_ERR_BAD_REQUEST', requestIdOf(req), `Nothing changed. ${detail}`), fields: update.errors });
      return;
    }
    res.json({ changes: update.changes, settings: update.settings });
  });
}

/** `POST /trace/test`: one span, ended at once, and its identity. */
function traceTestRoute(router: Router, { tracer, tracingEnabled }: Pick<OpsRoutesOptions, 'tracer' | 'tracingEnabled'>): void {
  router.post('/trace/test', (req, res) => {
    if (!tracingEnabled) {
      res.status(503).json(errorBody('SIGHTLINE_ERR_UNAVAILABLE', requestIdOf(req), 'Tracing is switched off (OBS_TRACING_ENABLED)'));
      return;
    }
    const parent = trace.getActiveSpan()?.spanContext().spanId;
    tracer.startActiveSpan('sightline.trace_test', (span) => {
      span.setAttribute('sightline.test', true);
      span.setStatus({ code: SpanStatusCode.OK });
      span.end();
      const { traceId, spanId, traceFlags } = span.spanContext();
      res.json({ trace_id: traceId, span_id: spanId, sampled: (traceFlags & 1) === 1, parent_span_id: parent });
    });
  });
}

/** `GET /jobs` and `POST /jobs/:name`: the registered jobs, and running one. */
function jobRoutes(router: Router, { jobs, logger, redactor }: Pick<OpsRoutesOptions, 'jobs' | 'logger' | 'redactor'>): void {
  router.get('/jobs', (_req, res) => {
    res.json({ jobs: jobs.list() });
  });

  router.post('/jobs/:name', async (req, res) => {
    const name = String(req.params.name);
    const run = await jobs.run(name);
    const requestId = requestIdOf(req);
    switch (run.status) {
      case 'unknown':
        res.status(404).json(errorBody('SIGHTLINE_ERR_NOT_FOUND', requestId, `No job named ${JSON.stringify(name.slice(0, 64))}`));
        return;
      case 'already_running':
        res.status(409).json(errorBody('SIGHTLINE_ERR_CONFLICT', requestId, `Job ${name} is already running`));
        return;
      case 'succeeded':
        logger.info('job finished', { target: 'sightline', job: name, result: 'succeeded', duration_ms: roundToThousandths(run.durationMs) });
        res.json({ job: name, result: 'succeeded', duration_ms: roundToThousandths(run.durationMs), output: run.output ?? null });
        return;
      case 'failed': {
        logger.error('job failed', { target: 'sightline', job: name, duration_ms: roundToThousandths(run.durationMs), error: run.error });
        const reason = redactor.string(run.error instanceof Error ? run.error.message : String(run.error)).slice(0, 500);
        res.status(500).json(errorBody('SIGHTLINE_ERR_JOB_FAILED', requestId, `Job ${name} failed: ${reason}`));
        return;
      }
    }
  });
}

/** `GET /events?limit&name`: the latest events kept. */
function eventsRoute(router: Router, { recentEvents }: Pick<OpsRoutesOptions, 'recentEvents'>): void {
  router.get('/events', (req, res) => {
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EVENTS) {
      res.status(400).json(errorBody('SIGHTLINE_ERR_BAD_REQUEST', requestIdOf(req), `limit must be an integer from 1 to ${MAX_EVENTS}`));
      return;
    }
    const name = typeof req.query.name === 'string' && req.query.name !== '' ? req.query.name : undefined;
    res.json({ events: recentEvents?.list({ limit, name }) ?? [] });
  });
}

/** `GET /requests/:request_id`: the log lines of a recent request. */
function requestTimelineRoute(router: Router, { timeline }: Pick<OpsRoutesOptions, 'timeline'>): void {
  router.get('/requests/:request_id', (req, res) => {
    const requestId = req.params.request_id;
    if (!isValidRequestId(requestId)) {
      res.status(400).json(errorBody('SIGHTLINE_ERR_BAD_REQUEST', requestIdOf(req), "request_id must be 1-128 characters of letters, digits, '.', '_', ':' or '-'"));
      return;
    }
    const found = timeline?.get(requestId);
    if (found === undefined) {
      const message = timeline === undefined ? 'Request timelines are switched off' : 'No recent request has this id (the buffer keeps the latest requests only)';
      res.status(404).json(errorBody('SIGHTLINE_ERR_NOT_FOUND', requestIdOf(req), message));
      return;
    }
    res.json(found);
  });
}
