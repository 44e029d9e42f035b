import type * as ClsHooked from 'cls-hooked';
import type { RequestContext } from './context';

export interface ClsBridge {
  /** Runs `fn` inside the namespace with the request's identity set, for code that reads `getNamespace()`. */
  run<T>(context: RequestContext, emitters: readonly NodeJS.EventEmitter[], fn: () => T): T;
}

/**
 * Mirrors the request context into a cls-hooked namespace, for older code that reads
 * `getNamespace(name).get('requestId')`. Opt-in: cls-hooked's async hooks cost about half
 * of a small service's throughput (see bench/RESULTS.md). Keys set: `requestId`, `traceId`,
 * `spanId`, and `context` (the live RequestContext).
 */
export function createClsBridge(namespaceName: string): ClsBridge {
  if (namespaceName.trim() === '') {
    throw new TypeError('clsBridge: namespace must be a non-empty string');
  }
  let cls: typeof ClsHooked;
  try {
    // Loaded only when asked for: requiring cls-hooked installs async hooks process-wide.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cls = require('cls-hooked') as typeof ClsHooked;
  } catch {
    throw new Error('clsBridge: the cls-hooked package is not installed; run `npm install cls-hooked`');
  }
  const namespace = cls.getNamespace(namespaceName) ?? cls.createNamespace(namespaceName);
  return {
    run(context, emitters, fn) {
      return namespace.runAndReturn(() => {
        for (const emitter of emitters) namespace.bindEmitter(emitter);
        namespace.set('requestId', context.requestId);
        namespace.set('traceId', context.traceId);
        namespace.set('spanId', context.spanId);
        namespace.set('context', context);
        return fn();
      });
    },
  };
}
