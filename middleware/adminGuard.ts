import type { RequestHandler } from 'express';
import { errorBody } from '../src/errors';
import type { SightlineLogger } from '../src/logger';
import type { SightlineMetrics } from '../src/metrics';
import { adminTokenMatcher, type TokenRefusal } from '../src/adminToken';
import { requestIdOf } from './requestState';

export interface AdminGuardOptions {
  /** The admin token (`OBS_ADMIN_TOKEN`). Without one every guarded route answers 404: closed by default. */
  readonly token: string | undefined;
  /** Counts refusals in `sightline_admin_auth_failures_total{reason}`. */
  readonly metrics?: SightlineMetrics;
  /** Refusals are logged at warn, without the presented value. */
  readonly logger?: SightlineLogger;
  /** `realm` of the `WWW-Authenticate` challenge. Default `sightline`. */
  readonly realm?: string;
}

const REALM = /^[\x20-\x7e]{1,64}$/;

/**
 * Lets a request through only with `Authorization: Bearer <token>`. Mount it on the same
 * path as what it guards (`router.use('/ops', adminGuard(…), opsRouter)`): whatever path
 * variant Express routes to those handlers has passed through the guard first.
 */
export function adminGuard(options: AdminGuardOptions): RequestHandler {
  const { token, metrics, logger, realm = 'sightline' } = options;
  if (!REALM.test(realm) || realm.includes('"') || realm.includes('\\')) {
    throw new TypeError(`adminGuard: realm must be 1-64 printable characters without quotes, got ${JSON.stringify(realm)}`);
  }
  if (token === undefined) {
    return function adminRoutesClosed(req, res) {
      res.status(404).json(errorBody('SIGHTLINE_ERR_NOT_FOUND', requestIdOf(req), 'Admin routes are closed: no admin token is configured'));
    };
  }
  const check = adminTokenMatcher(token);
  const failures = metrics?.catalogued('adminAuthFailures');

  return function adminGuardMiddleware(req, res, next) {
    const refusal = check(req.headers.authorization);
    if (refusal === undefined) {
      next();
      return;
    }
    failures?.inc({ reason: refusal });
    logger?.warn('admin request refused', { target: 'sightline', reason: refusal, method: req.method, path: pathOf(req.originalUrl) });
    res.setHeader('WWW-Authenticate', challenge(realm, refusal));
    res.status(401).json(errorBody('SIGHTLINE_ERR_UNAUTHORIZED', requestIdOf(req), refusalMessage(refusal)));
  };
}

/** RFC 6750 §3: no error code when credentials were missing, `invalid_request`/`invalid_token` otherwise. */
function challenge(realm: string, refusal: TokenRefusal): string {
  if (refusal === 'missing') return `Bearer realm="${realm}"`;
  return `Bearer realm="${realm}", error="${refusal === 'malformed' ? 'invalid_request' : 'invalid_token'}"`;
}

function refusalMessage(refusal: TokenRefusal): string {
  if (refusal === 'missing') return 'This route needs Authorization: Bearer <admin token>';
  if (refusal === 'malformed') return 'The Authorization header is not of the form Bearer <token>';
  return 'The admin token is not valid';
}

function pathOf(url: string): string {
  return url.split('?', 1)[0]?.slice(0, 200) ?? '/';
}
