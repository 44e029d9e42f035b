import type { IncomingMessage } from 'node:http';
import type { RequestContext } from '../src/context';
import type { PatchSet } from './patches';
import { existingRequestContext } from './requestState';

/** Label of requests that matched no route: one bounded value, whatever the path. */
export const UNMATCHED_ROUTE = 'unmatched';

type RoutedRequest = IncomingMessage & { baseUrl?: string };

/** What the router assigned to `req.route`, kept here rather than on the request (see expressPrototype). */
const routes = new WeakMap<IncomingMessage, unknown>();
/** Objects that also receive the template when it is matched (OpenTelemetry's RPC metadata). */
const lenders = new WeakMap<IncomingMessage, { route?: string }>();

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
  lenders.set(req, target);
}

export function routeTemplateOf(context: RequestContext): string {
  return context.route ?? UNMATCHED_ROUTE;
}

const ROUTE_ACCESSOR: PropertyDescriptor = {
  configurable: true,
  enumerable: true,
  get(this: RoutedRequest) {
    return routes.get(this);
  },
  set(this: RoutedRequest, value: { path?: unknown } | undefined) {
    // The router assigns `req.route` on every request of the app, observed or not.
    routes.set(this, value);
    const context = existingRequestContext(this);
    if (value === undefined || value === null || context === undefined) return;
    const template = (this.baseUrl ?? '') + routePath(value.path);
    context.route = template;
    const lender = lenders.get(this);
    if (lender !== undefined) lender.route = template;
  },
};

function routePath(path: unknown): string {
  if (typeof path === 'string') return path;
  if (Array.isArray(path)) return path.map(String).join('|');
  return String(path);
}
