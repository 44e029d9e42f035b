import type { ServerResponse } from 'node:http';
import { responseRecordOf, type EndCallback } from './requestState';

/** For responses whose request has no record of sightline's; kept off the response itself (see patches). */
const unrecordedEnds = new WeakMap<ServerResponse, EndCallback[]>();

/**
 * Calls `callback` once when the response ends, however it ends: written out, or the
 * client left first. A server response always emits `close` last (after `finish` when it
 * was written out), so one `close` listener, shared by every caller on the response, sees
 * both. A callback that throws is contained: it must not take the others, or the process,
 * down with it.
 */
export function whenResponseEnds(res: ServerResponse, callback: EndCallback): void {
  // Callbacks taken before the request had a record stay where they are: one list, one listener.
  const unrecorded = unrecordedEnds.get(res);
  if (unrecorded !== undefined) {
    unrecorded.push(callback);
    return;
  }
  const record = responseRecordOf(res);
  if (record?.ends !== undefined) {
    record.ends.push(callback);
    return;
  }
  if (record === undefined) unrecordedEnds.set(res, [callback]);
  else record.ends = [callback];
  res.on('close', responseEnded);
}

function responseEnded(this: ServerResponse): void {
  const record = responseRecordOf(this);
  const unrecorded = unrecordedEnds.get(this);
  const recorded = record?.ends;
  const callbacks = unrecorded === undefined ? (recorded ?? []) : recorded === undefined ? unrecorded : [...unrecorded, ...recorded];
  if (unrecorded !== undefined) unrecordedEnds.set(this, []);
  if (record !== undefined && recorded !== undefined) record.ends = [];
  for (const callback of callbacks) {
    try {
      callback(this);
    } catch {
      // Telemetry never breaks the service it observes.
    }
  }
}
