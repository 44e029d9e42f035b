import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { Router, type Request, type Response } from 'express';
import { adminTokenMatcher } from '../../src/adminToken';
import type { DashboardFeed } from '../../src/dashboard/dashboardFeed';
import type { DashboardSessions } from '../../src/dashboard/dashboardSessions';
import { errorBody } from '../../src/errors';
import type { SightlineLogger } from '../../src/logger';
import type { SightlineMetrics } from '../../src/metrics';
import { errorHandler } from '../errorHandler';
import { requestIdOf } from '../requestState';
import { pageSecurityHeaders } from '../security';
import { dashboardClientScript } from './dashboardClient';
import { DASHBOARD_STYLES, dashboardPage, loginPage } from './dashboardPage';

export interface DashboardRoutesOptions {
  /** The admin token; without one the dashboard answers 404, like every guarded route. */
  readonly token: string | undefined;
  /** `false` (`OBS_DASHBOARD_ENABLED=false`): 404. */
  readonly enabled: boolean;
  readonly service: string;
  readonly feed: DashboardFeed;
  readonly sessions: DashboardSessions;
  readonly logger: SightlineLogger;
  /** Refused logins count in `sightline_admin_auth_failures_total{reason}`. */
  readonly metrics?: SightlineMetrics;
}

/** A viewer this far behind gets no more snapshots until it catches up. */
const MAX_BUFFERED_BYTES = 256 * 1024;
const SESSION_MAX_AGE_S = 8 * 3600;

/**
 * `/ops/dashboard`, meant to be mounted at that path: a login form that exchanges the admin
 * token for an HttpOnly, SameSite=Strict session cookie scoped to `/ops`, the page, its
 * assets (served from here, nothing from elsewhere) and the live SSE feed. The page and the
 * feed need the session (or the bearer token); the assets hold no data.
 */
export function dashboardRoutes(options: DashboardRoutesOptions): Router {
  const { token, enabled, service, feed, sessions, logger, metrics } = options;
  const router = Router();
  if (!enabled || token === undefined) {
    const reason = enabled ? 'no admin token is configured' : 'OBS_DASHBOARD_ENABLED is false';
    router.use((req, res) => {
      res.status(404).json(errorBody('SIGHTLINE_ERR_NOT_FOUND', requestIdOf(req), `The dashboard is switched off: ${reason}`));
    });
    return router;
  }
  const bearer = adminTokenMatcher(token);
  const cookieName = `sightline_dashboard_${service.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64)}`;
  const failures = metrics?.catalogued('adminAuthFailures');
  const security = pageSecurityHeaders();
  const assets = dashboardAssets();

  const signedIn = (req: IncomingMessage): boolean =>
    sessions.isValid(cookieOf(req, cookieName)) || (req.headers.authorization !== undefined && bearer(req.headers.authorization) === undefined);

  router.use(security);

  for (const [path, asset] of Object.entries(assets)) {
    router.get(`/assets/${path}`, (_req, res) => {
      res.setHeader('Cache-Control', 'private, max-age=300');
      res.type(asset.type).send(asset.body);
    });
  }

  router.get('/', (req, res) => {
    noStore(res);
    res.type('html').send(signedIn(req) ? dashboardPage(service) : loginPage(service));
  });

  router.post('/login', express.urlencoded({ extended: false, limit: '4kb' }), express.json({ limit: '4kb' }), (req: Request, res: Response) => {
    noStore(res);
    const body: unknown = req.body;
    const presented = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).token : undefined;
    const refusal = typeof presented === 'string' && presented !== '' ? bearer(`Bearer ${presented}`) : 'missing';
    if (refusal !== undefined) {
      failures?.inc({ reason: refusal });
      logger.warn('dashboard login refused', { target: 'sightline', reason: refusal });
      res.status(401).type('html').send(loginPage(service, 'That token was refused.'));
      return;
    }
    const session = sessions.open();
    res.setHeader('Set-Cookie', sessionCookie(cookieName, session, SESSION_MAX_AGE_S, req.secure));
    logger.info('dashboard login', { target: 'sightline' });
    res.redirect(303, '/ops/dashboard');
  });

  router.post('/logout', (req, res) => {
    sessions.close(cookieOf(req, cookieName));
    noStore(res);
    res.setHeader('Set-Cookie', sessionCookie(cookieName, '', 0, req.secure));
    res.redirect(303, '/ops/dashboard');
  });

  router.get('/feed', (req, res) => {
    if (!signedIn(req)) {
      res.status(401).json(errorBody('SIGHTLINE_ERR_UNAUTHORIZED', requestIdOf(req), 'Sign in to the dashboard first'));
      return;
    }
    streamFeed(req, res, feed, () => signedIn(req));
  });

  router.use(errorHandler({ logger }));
  return router;
}

function streamFeed(req: IncomingMessage, res: ServerResponse, feed: DashboardFeed, stillSignedIn: () => boolean): void {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Accel-Buffering': 'no',
  });
  res.write(`retry: 1000\n\nevent: history\ndata: ${JSON.stringify(feed.history())}\n\n`);
  const unsubscribe = feed.subscribe((snapshot, point) => {
    if (!stillSignedIn()) {
      res.end();
      return;
    }
    if (res.writableLength > MAX_BUFFERED_BYTES) return;
    res.write(`event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\nevent: point\ndata: ${JSON.stringify(point)}\n\n`);
  });
  req.on('close', unsubscribe);
  res.on('close', unsubscribe);
}

function noStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
}

function sessionCookie(name: string, value: string, maxAgeS: number, secure: boolean): string {
  return `${name}=${value}; Path=/ops; Max-Age=${maxAgeS}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

function cookieOf(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}

interface Asset {
  readonly type: string;
  readonly body: string;
}

function dashboardAssets(): Record<string, Asset> {
  return {
    'uplot.js': { type: 'application/javascript', body: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8') },
    'uplot.css': { type: 'text/css', body: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8') },
    'dashboard.js': { type: 'application/javascript', body: dashboardClientScript() },
    'dashboard.css': { type: 'text/css', body: DASHBOARD_STYLES },
  };
}

