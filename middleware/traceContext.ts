import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext } from '../src/context';
import {
  formatTraceparent,
  parseTraceparent,
  parseTracestate,
  randomSpanId,
  randomTraceId,
  TRACE_FLAG_SAMPLED,
} from '../src/w3cTraceContext';

/**
 * How inbound W3C trace context is continued (the `traceContext` option of
 * `createObservability`).
 */
export interface TraceContextOptions {
  /** Flags of a trace this service starts. Default: sampled. */
  readonly sampleNewTraces?: boolean;
}

export type TraceContextStep = (req: IncomingMessage, res: ServerResponse, context: RequestContext) => void;

/**
 * Continues the caller's W3C trace (a new span id of ours under their trace id) or starts
 * one when `traceparent` is missing or invalid, and answers with our `traceparent`.
 * `tracestate` is carried on only with a valid `traceparent`, as the specification asks.
 */
export function traceContextStep(options: TraceContextOptions = {}): TraceContextStep {
  const newTraceFlags = options.sampleNewTraces === false ? 0 : TRACE_FLAG_SAMPLED;
  return function continueTrace(req, res, context) {
    const parent = parseTraceparent(req.headers.traceparent);
    if (parent === null) {
      context.traceId = randomTraceId();
      context.traceFlags = newTraceFlags;
      context.tracestate = undefined;
    } else {
      context.traceId = parent.traceId;
      // Level 1 defines only the sampled flag; others are not ours to pass on.
      context.traceFlags = parent.traceFlags & TRACE_FLAG_SAMPLED;
      context.tracestate = parseTracestate(req.headers.tracestate);
    }
    context.spanId = randomSpanId();
    res.setHeader('traceparent', formatTraceparent(context.traceId, context.spanId, context.traceFlags));
  };
}

export { outgoingTraceHeaders } from '../src/outgoingHeaders';
