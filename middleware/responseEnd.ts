import type { ServerResponse } from 'node:http';

type EndCallback = (res: ServerResponse) => void;

const kEndCallbacks = Symbol('sightline.endCallbacks');

type WatchedResponse = ServerResponse & { [kEndCallbacks]?: EndCallback[] };

/**
 * Calls `callback` once when the response ends, however it ends: written out, or the
 * client left first. A server response always emits `close` last (after `finish` when it
 * was written out), so one `close` listener, shared by every caller on the response, sees
 * both. A callback that throws is contained: it must not take the others, or the process,
 * down with it.
 */
export function whenResponseEnds(res: ServerResponse, callback: EndCallback): void {
  const watched = res as WatchedResponse;
  const callbacks = watched[kEndCallbacks];
  if (callbacks !== undefined) {
    callbacks.push(callback);
    return;
  }
  watched[kEndCallbacks] = [callback];
  res.on('close', responseEnded);
}

function responseEnded(this: WatchedResponse): void {
  const callbacks = this[kEndCallbacks] ?? [];
  this[kEndCallbacks] = [];
  for (const callback of callbacks) {
    try {
      callback(this);
    } catch {
      // Telemetry never breaks the service it observes.
    }
  }
}
