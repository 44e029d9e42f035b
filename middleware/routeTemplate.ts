import type { IncomingMessage } from 'node:http';
import type { RequestContext } from '../src/context';

/** Label of requests that matched no route: one bounded value, whatever the path. */
export const UNMATCHED_ROUTE = 'unmatched';

const kRoute = Symbol('sightline.route');
const kRouteContext = Symbol('sightline.routeContext');

type RoutedRequest = IncomingMessage & {
  [kRoute]?: unknown;
  [kRouteContext]?: RequestContext;
  baseUrl?: string;
};

/**
 * Records the route template (mount path + route path, e.g. `/v1/items/:id`) in
 * `context.route` at the moment the router picks the route: later, when the response
 * ends or an error handler runs, `req.baseUrl` may already have been unwound to a parent
 * router's. Idempotent.
 */
export function captureRouteTemplate(req: IncomingMessage, context: RequestContext): void {
  const routed = req as RoutedRequest;
  if (routed[kRouteContext] !== undefined) return;
  routed[kRouteContext] = context;
  const prototype = Object.getPrototypeOf(req) as object;
  if (accessorPrototypes.has(prototype)) return;
  if (Object.prototype.hasOwnProperty.call(prototype, 'app')) {
    // An Express app's own request prototype (`app.request`, one per app, inherited by
    // apps mounted in it): one accessor there serves every request of the app, where
    // defining it on each request would push every request object into slow dictionary mode.
    Object.defineProperty(prototype, 'route', ROUTE_ACCESSOR);
    accessorPrototypes.add(prototype);
  } else {
    // Not an Express request (or an unusual set-up): never touch a prototype we do not own.
    Object.defineProperty(req, 'route', ROUTE_ACCESSOR);
  }
}

const accessorPrototypes = new WeakSet<object>();

export function routeTemplateOf(context: RequestContext): string {
  return context.route ?? UNMATCHED_ROUTE;
}

const ROUTE_ACCESSOR: PropertyDescriptor = {
  configurable: true,
  enumerable: true,
  get(this: RoutedRequest) {
    return this[kRoute];
  },
  set(this: RoutedRequest, value: { path?: unknown } | undefined) {
    // The router assigns `req.route` on every request of the app, observed or not.
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
