import type { ServerResponse } from 'node:http';

type EndCallback = () => void;

const kEndCallbacks = Symbol('sightline.endCallbacks');

type WatchedResponse = ServerResponse & { [kEndCallbacks]?: EndCallback[] };

/**
 * Calls `callback` once when the response ends, however it ends: `finish` when it was
 * written out, `close` when the client left first. Every caller on one response shares a
 * single pair of listeners, removed when they fire. A callback that throws is contained:
 * it must not take the others, or the process, down with it.
 */
export function whenResponseEnds(res: ServerResponse, callback: EndCallback): void {
  const watched = res as WatchedResponse;
  const callbacks = watched[kEndCallbacks];
  if (callbacks !== undefined) {
    callbacks.push(callback);
    return;
  }
  watched[kEndCallbacks] = [callback];
  res.on('finish', responseEnded);
  res.on('close', responseEnded);
}

function responseEnded(this: WatchedResponse): void {
  this.removeListener('finish', responseEnded);
  this.removeListener('close', responseEnded);
  const callbacks = this[kEndCallbacks] ?? [];
  this[kEndCallbacks] = [];
  for (const callback of callbacks) {
    try {
      callback();
    } catch {
      // Telemetry never breaks the service it observes.
    }
  }
}
