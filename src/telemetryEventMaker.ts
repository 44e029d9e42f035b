import type { ContextStore } from './context';
import type { TelemetryEvent } from './eventBusTypes';
import type { Redactor } from './redaction';

/** Where an event's time, redacted metadata and request ids come from. */
export interface TelemetryEventSources {
  readonly now: () => number;
  readonly redactor: Redactor;
  readonly context: ContextStore | undefined;
}

/** Builds the frozen event consumers share, from fields already checked by the caller. */
export type TelemetryEventMaker = (
  name: string,
  measurements: Record<string, number>,
  metadata: Readonly<Record<string, unknown>>,
) => TelemetryEvent;

/** An event maker that stamps each event with the clock's time and the current request's ids. */
export function createTelemetryEventMaker(sources: TelemetryEventSources): TelemetryEventMaker {
  const { now, redactor, context } = sources;
  return function makeTelemetryEvent(name, measurements, metadata) {
    const request = context?.get();
    const event: TelemetryEvent = {
      name,
      time: new Date(now()).toISOString(),
      measurements: Object.freeze(measurements),
      metadata: Object.freeze(redactor.fields(metadata)),
      ...(request === undefined ? undefined : idsOf(request.requestId, request.traceId, request.spanId)),
    };
    return Object.freeze(event);
  };
}

/** A copy, or undefined when the input is not an object of finite numbers. */
export function copyMeasurements(input: unknown): Record<string, number> | undefined {
  if (!isRecord(input)) return undefined;
  const copy: Record<string, number> = {};
  for (const key of Object.keys(input)) {
    const value = input[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
    if (key === '__proto__') Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
    else copy[key] = value;
  }
  return copy;
}

/** True for a plain object (not null, not an array): what metadata and measurements must be. */
export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function idsOf(requestId: string, traceId: string, spanId: string): Pick<TelemetryEvent, 'request_id' | 'trace_id' | 'span_id'> {
  const ids: { request_id?: string; trace_id?: string; span_id?: string } = { request_id: requestId };
  // Empty until a trace context is known; an empty id says nothing.
  if (traceId !== '') ids.trace_id = traceId;
  if (spanId !== '') ids.span_id = spanId;
  return ids;
}
