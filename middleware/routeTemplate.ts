import type { IncomingMessage } from 'node:http';
import type { RequestContext } from '../src/context';
import type { PatchSet } from './patches';
import { requestRecordOf } from './requestState';

/** Label of requests that matched no route: one bounded value, whatever the path. */
export const UNMATCHED_ROUTE = 'unmatched';

type RoutedRequest = IncomingMessage & { baseUrl?: string };

/**
 * What the router assigned to `req.route` of a request sightline keeps no record of (one that
 * did not pass its middleware); the others keep it in their record. Not on the request: see patches.
 */
const unrecordedRoutes = new WeakMap<IncomingMessage, unknown>();

/**
 * Records the route template (mount path + route path, e.g. `/v1/items/:id`) in the
 * request's context at the moment the router picks the route: later, when the response
 * ends or an error handler runs, `req.baseUrl` may already have been unwound to a parent
 * router's. `req.route` becomes an accessor on the app's request prototype, defined once
 * and kept for every request of the app (until `obs.shutdown()`). Idempotent.
 */
export function captureRouteTemplate(patches: PatchSet, req: IncomingMessage): void {
  patches.defineOnAppPrototype(req, 'route', ROUTE_ACCESSOR);
}

/** Also writes the template to `target.route` when the router matches a route. */
export function lendRouteTemplate(req: IncomingMessage, target: { route?: string }): void {
  const record = requestRecordOf(req);
  if (record !== undefined) record.routeLender = target;
}

export function routeTemplateOf(context: RequestContext): string {
  return context.route ?? UNMATCHED_ROUTE;
}

const ROUTE_ACCESSOR: PropertyDescriptor = {
  configurable: true,
  enumerable: true,
  get(this: RoutedRequest) {
    // A route matched before sightline's middleware ran (it was mounted inside the route) was kept aside.
    const route = requestRecordOf(this)?.route;
    return route === undefined ? unrecordedRoutes.get(this) : route;
  },
  set(this: RoutedRequest, value: { path?: unknown } | undefined) {
    // The router assigns `req.route` on every request of the app, observed or not.
    const record = requestRecordOf(this);
    if (record === undefined) {
      unrecordedRoutes.set(this, value);
      return;
    }
    record.route = value;
    if (value === undefined || value === null) return;
    const template = (this.baseUrl ?? '') + routePath(value.path);
    record.context.route = template;
    if (record.routeLender !== undefined) record.routeLender.route = template;
  },
};

function routePath(path: unknown): string {
  if (typeof path === 'string') return path;
  if (Array.isArray(path)) return path.map(String).join('|');
  return String(path);
}
