/**
 * Every change sightline makes to an object it does not own (an Express app's request and
 * response prototypes, a request or response itself) goes through here, so that each is:
 * - marked, and never applied twice (a second instance on the same app shares the first's);
 * - late-binding: a wrapped method calls the method as it is when called, so a patch another
 *   library applies afterwards further down the prototype chain (an APM agent wrapping
 *   `ServerResponse.prototype.write`) still sees every call;
 * - removed by `removeAll()` (`obs.shutdown()`), the object left as it was found.
 *
 * Express gives every request and response its app's own prototype (`app.request`,
 * `app.response`, one per app) with `Object.setPrototypeOf`. V8 does not cache property
 * transitions of an object whose prototype was changed that way: each property added to such
 * a request or response afterwards costs about 5 µs, more than everything else sightline does
 * for the property's sake. So per-request state lives in WeakMaps keyed by the request, and
 * what must be a property (`req.id`, `req.route`, counting `res.write`) is defined once on the
 * app's prototype.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the methods wrapped take any arguments
type Method = (this: any, ...args: any[]) => unknown;

/** Builds the replacement of a method from a function that answers the method below it, as it is now. */
export type MethodWrapper = (below: () => Method) => Method;

interface Applied {
  /** Instances holding the patch; it is undone when the last lets go. */
  holders: number;
  /** The property as it was: undefined when the object had none of its own. */
  readonly original: PropertyDescriptor | undefined;
  readonly installed: PropertyDescriptor;
}

/** What is applied, by object and property name, across every patch set of the process. */
const applied = new WeakMap<object, Map<PropertyKey, Applied>>();

/** One instance's share of the patches: what it applied or joined, to let go of at shutdown. */
export interface PatchSet {
  /** Replaces `target[name]` with `wrap(current)`; `current(self)` resolves the method below the patch at call time. */
  wrapMethod(target: object, name: string, wrap: MethodWrapper): void;
  /**
   * The same on an object that lives as long as one request (a response or request that is
   * not Express's): marked, never wrapped twice, and gone with the object, so not kept for removal.
   */
  wrapInstanceMethod(target: object, name: string, wrap: MethodWrapper): void;
  /** Defines an accessor `name` on `target`. */
  defineAccessor(target: object, name: string, descriptor: PropertyDescriptor): void;
  /** The same on an object that lives as long as one request: gone with it, so not kept for removal. */
  defineInstanceAccessor(target: object, name: string, descriptor: PropertyDescriptor): void;
  /**
   * Defines the accessor on the app prototype of an Express request or response (kept for
   * removal), or on the object itself when it is not Express's.
   */
  defineOnAppPrototype(object: object, name: string, descriptor: PropertyDescriptor): void;
  /** Whether `target[name]` carries a sightline patch. */
  isPatched(target: object, name: string): boolean;
  /** Undoes this instance's share: each patch no other instance holds is removed, and none is applied again. Idempotent. */
  removeAll(): void;
}

/** A patch set for one sightline instance. */
export function createPatchSet(): PatchSet {
  const held: [object, PropertyKey][] = [];
  // What this set already holds, asked on every request: one lookup instead of a scan of `held`.
  const holding = new WeakMap<object, Set<PropertyKey>>();
  let removed = false;

  function hold(target: object, name: PropertyKey, install: () => PropertyDescriptor, lasting = true): void {
    // After shutdown nothing is patched again: what still runs goes without.
    if (removed || holding.get(target)?.has(name) === true) return;
    let byName = applied.get(target);
    const existing = byName?.get(name);
    if (existing !== undefined) {
      if (!lasting) return;
      existing.holders += 1;
      keep(target, name);
      return;
    }
    const original = Object.getOwnPropertyDescriptor(target, name);
    const installed = install();
    Object.defineProperty(target, name, installed);
    if (byName === undefined) {
      byName = new Map();
      applied.set(target, byName);
    }
    byName.set(name, { holders: 1, original, installed });
    if (lasting) keep(target, name);
  }

  function keep(target: object, name: PropertyKey): void {
    held.push([target, name]);
    let names = holding.get(target);
    if (names === undefined) {
      names = new Set();
      holding.set(target, names);
    }
    names.add(name);
  }

  function wrapped(target: object, name: string, wrap: MethodWrapper): () => PropertyDescriptor {
    return () => {
      const own = Object.getOwnPropertyDescriptor(target, name);
      const ownMethod = typeof own?.value === 'function' ? (own.value as Method) : undefined;
      // An own method (another library's wrapper on this very object) is what lies below;
      // otherwise the prototype's, looked up on every call.
      const below = (): Method => ownMethod ?? ((Object.getPrototypeOf(target) as Record<string, Method>)[name] as Method);
      return { configurable: true, writable: true, enumerable: own?.enumerable ?? false, value: wrap(below) };
    };
  }

  return {
    wrapMethod(target, name, wrap) {
      hold(target, name, wrapped(target, name, wrap));
    },
    wrapInstanceMethod(target, name, wrap) {
      hold(target, name, wrapped(target, name, wrap), false);
    },
    defineAccessor(target, name, descriptor) {
      hold(target, name, () => ({ configurable: true, ...descriptor }));
    },
    defineInstanceAccessor(target, name, descriptor) {
      hold(target, name, () => ({ configurable: true, ...descriptor }), false);
    },
    defineOnAppPrototype(object, name, descriptor) {
      const appPrototype = expressAppPrototype(object);
      if (appPrototype !== undefined) hold(appPrototype, name, () => ({ configurable: true, ...descriptor }));
      else hold(object, name, () => ({ configurable: true, ...descriptor }), false);
    },
    isPatched(target, name) {
      return applied.get(target)?.has(name) ?? false;
    },
    removeAll() {
      removed = true;
      for (const [target, name] of held.splice(0)) {
        const byName = applied.get(target);
        const entry = byName?.get(name);
        if (byName === undefined || entry === undefined) continue;
        entry.holders -= 1;
        if (entry.holders > 0) continue;
        byName.delete(name);
        const current = Object.getOwnPropertyDescriptor(target, name);
        // Someone replaced the patch since: theirs stays.
        if (current === undefined || !sameProperty(current, entry.installed)) continue;
        if (entry.original === undefined) delete (target as Record<PropertyKey, unknown>)[name];
        else Object.defineProperty(target, name, entry.original);
      }
    },
  };
}

function sameProperty(a: PropertyDescriptor, b: PropertyDescriptor): boolean {
  return a.value === b.value && a.get === b.get && a.set === b.set;
}

/** The app's own `request`/`response` prototype of an Express request or response, or undefined for any other object. */
export function expressAppPrototype(object: object): object | undefined {
  const prototype = Object.getPrototypeOf(object) as object | null;
  return prototype !== null && Object.prototype.hasOwnProperty.call(prototype, 'app') ? prototype : undefined;
}
