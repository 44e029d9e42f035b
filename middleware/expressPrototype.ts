/**
 * Express gives every request and response its app's own prototype (`app.request`,
 * `app.response`, one per app) with `Object.setPrototypeOf`. V8 does not cache property
 * transitions of an object whose prototype was changed that way: each property added to such
 * a request or response afterwards costs about 5 µs (measured on this project's benchmark
 * machine), more than everything else sightline does for the property's sake. So per-request
 * state lives in WeakMaps keyed by the request, and what must be readable as a property
 * (`req.id`, `req.route`) is an accessor defined once on the app's prototype.
 */

/** The app's own `request`/`response` prototype of an Express request or response, or undefined for any other object. */
export function expressAppPrototype(object: object): object | undefined {
  const prototype = Object.getPrototypeOf(object) as object | null;
  return prototype !== null && Object.prototype.hasOwnProperty.call(prototype, 'app') ? prototype : undefined;
}

/**
 * Defines `name` on the app prototype of `object`, once per prototype (`installed` remembers
 * them). False, and nothing defined, when `object` is not an Express request or response:
 * a prototype that is not an app's is never touched.
 */
export function defineOnAppPrototype(
  object: object,
  name: string,
  descriptor: PropertyDescriptor,
  installed: WeakSet<object>,
): boolean {
  const prototype = Object.getPrototypeOf(object) as object | null;
  if (prototype !== null && installed.has(prototype)) return true;
  const appPrototype = expressAppPrototype(object);
  if (appPrototype === undefined) return false;
  Object.defineProperty(appPrototype, name, descriptor);
  installed.add(appPrototype);
  return true;
}
