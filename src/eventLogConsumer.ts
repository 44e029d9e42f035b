import { LINE_CONTEXT, type RequestContext } from './context';
import type { EventConsumer, TelemetryEvent } from './eventBus';
import type { LogLevel } from './logLevels';
import type { SightlineLogger } from './logger';

export interface EventLogConsumerOptions {
  readonly logger: SightlineLogger;
  /** Default `info`. */
  readonly level?: LogLevel;
  /** `target` of the lines. Default `events`. */
  readonly target?: string;
}

const NO_FIELDS: Readonly<Record<string, unknown>> = Object.freeze({});

/** Writes each event as one log line: `{"message":"event","target":"events","event":"pool.saturated",…}`. */
export function createEventLogConsumer(options: EventLogConsumerOptions): EventConsumer {
  const { logger, level = 'info', target = 'events' } = options;
  return function logEvent(event) {
    logger.log({
      level,
      message: 'event',
      [LINE_CONTEXT]: lineContextOf(event),
      target,
      event: event.name,
      // The line's own timestamp is when it was delivered.
      event_time: event.time,
      measurements: event.measurements,
      metadata: event.metadata,
    });
  };
}

/**
 * Pins the line to the event's ids: it is written later, maybe while another request's
 * context is active, which the logger would otherwise put on the line. Ids the event does
 * not have stay undefined and are left out of the JSON line. `sampled` is true because the
 * bus has already sampled the event by its own rates.
 */
function lineContextOf(event: TelemetryEvent): RequestContext {
  return {
    requestId: event.request_id as string,
    traceId: event.trace_id as string,
    spanId: event.span_id as string,
    startedAt: 0,
    traceFlags: 0,
    tracestate: undefined,
    sampled: true,
    route: undefined,
    stream: undefined,
    failure: undefined,
    fields: NO_FIELDS,
  };
}
