import { context as otelContext, propagation } from '@opentelemetry/api';
import type { ContextStore, RequestContext } from './context';
import { formatTraceparent, randomSpanId } from './w3cTraceContext';

/** `traceparent` (a fresh span id under the request's trace), `tracestate` and `x-request-id` for a call onward. */
export function outgoingTraceHeaders(context: RequestContext): Record<string, string> {
  const headers: Record<string, string> = {
    traceparent: formatTraceparent(context.traceId, randomSpanId(), context.traceFlags),
    'x-request-id': context.requestId,
  };
  if (context.tracestate !== undefined) headers.tracestate = context.tracestate;
  return headers;
}

/** `traceparent`/`tracestate` of the active span, for a call onward. */
export function activeSpanHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(otelContext.active(), carrier);
  return carrier;
}

/** What a service passes on to the calls and child processes serving the current request. */
export interface OutgoingContext {
  /** `traceparent`, `tracestate` and `x-request-id` for a call onward; `{}` outside a request. */
  outgoingHeaders(): Record<string, string>;
  /** `TRACEPARENT` and `TRACESTATE` for a child process serving the current request. */
  childProcessEnv(): Record<string, string>;
}

/** With tracing on, the headers come from the active span; otherwise from the request's own trace context. */
export function outgoingContext(context: ContextStore, tracingOn: boolean): OutgoingContext {
  function outgoingHeaders(): Record<string, string> {
    const current = context.get();
    if (current === undefined || current.traceId === '') return {};
    if (!tracingOn) return outgoingTraceHeaders(current);
    return { ...activeSpanHeaders(), 'x-request-id': current.requestId };
  }
  return {
    outgoingHeaders,
    childProcessEnv() {
      const { traceparent, tracestate } = outgoingHeaders();
      const env: Record<string, string> = {};
      if (traceparent !== undefined) env.TRACEPARENT = traceparent;
      if (tracestate !== undefined) env.TRACESTATE = tracestate;
      return env;
    },
  };
}
