import type { ServerResponse } from 'node:http';

type EndCallback = (res: ServerResponse) => void;

/** Kept off the response itself: see expressPrototype. */
const endCallbacks = new WeakMap<ServerResponse, EndCallback[]>();

/**
 * Calls `callback` once when the response ends, however it ends: written out, or the
 * client left first. A server response always emits `close` last (after `finish` when it
 * was written out), so one `close` listener, shared by every caller on the response, sees
 * both. A callback that throws is contained: it must not take the others, or the process,
 * down with it.
 */
export function whenResponseEnds(res: ServerResponse, callback: EndCallback): void {
  const callbacks = endCallbacks.get(res);
  if (callbacks !== undefined) {
    callbacks.push(callback);
    return;
  }
  endCallbacks.set(res, [callback]);
  res.on('close', responseEnded);
}

function responseEnded(this: ServerResponse): void {
  const callbacks = endCallbacks.get(this) ?? [];
  endCallbacks.set(this, []);
  for (const callback of callbacks) {
    try {
      callback(this);
    } catch {
      // Telemetry never breaks the service it observes.
    }
  }
}
