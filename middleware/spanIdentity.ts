import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  context as otelContext,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import type { RequestContext } from '../src/context';
import { isUntraced, serverSpanOf } from '../src/instrumentation';
import { formatTraceparent } from '../src/w3cTraceContext';
import { whenResponseEnds } from './responseEnd';
import type { PatchSet } from './patches';
import { captureRouteTemplate, lendRouteTemplate, routeTemplateOf } from './routeTemplate';
import type { TraceContextStep } from './traceContext';

export interface SpanIdentityOptions {
  readonly tracer: Tracer;
  /** Used for untraced paths (`/health`, `/metrics`): ids for the logs, no span. */
  readonly untraced: TraceContextStep;
  /** Answer with this service's `traceparent`. Default true. */
  readonly answer?: boolean;
  /** The instance's patches (route templates). */
  readonly patches: PatchSet;
}

/** Returns the OpenTelemetry context the rest of the request must run in, when sightline started its span. */
export type SpanIdentityStep = (req: IncomingMessage, res: ServerResponse, context: RequestContext) => Context | undefined;

/**
 * With tracing on, the request's span is the one source of trace identity: its ids go into
 * the request context (hence every log line) and the `traceparent` answered. The span is
 * instrumentation-http's server span; where that instrumentation is not in place (a bundler,
 * a test runner's module system), sightline starts the server span itself.
 */
export function spanIdentityStep(options: SpanIdentityOptions): SpanIdentityStep {
  const { tracer, untraced, answer = true, patches } = options;
  return function identifyBySpan(req, res, context) {
    if (isUntraced(req.url)) {
      untraced(req, res, context);
      return undefined;
    }
    // The span's name and `http.route` come from the template, whichever span it is.
    captureRouteTemplate(patches, req);
    let span = serverSpanOf(req);
    let continueIn: Context | undefined;
    if (span === undefined) {
      const parent = propagation.extract(ROOT_CONTEXT, req.headers);
      span = tracer.startSpan(
        req.method ?? 'GET',
        { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': pathOf(req.url) } },
        parent,
      );
      endWithResponse(span, req, res, context);
      continueIn = trace.setSpan(parent, span);
    } else {
      lendTemplateToSpan(req);
    }
    const spanContext = span.spanContext();
    context.traceId = spanContext.traceId;
    context.spanId = spanContext.spanId;
    context.traceFlags = spanContext.traceFlags;
    context.tracestate = spanContext.traceState?.serialize() || undefined;
    if (answer) res.setHeader('traceparent', formatTraceparent(context.traceId, context.spanId, context.traceFlags));
    return continueIn;
  };
}


/**
 * instrumentation-http names its span and sets `http.route` from the route its context's
 * RPC metadata carries, which only a patched Express fills in. Where Express was loaded
 * before patching, the template sightline captures stands in (a patched Express, which
 * writes it after sightline, still has the last word).
 */
function lendTemplateToSpan(req: IncomingMessage): void {
  const metadata = getRPCMetadata(otelContext.active());
  if (metadata?.type === RPCType.HTTP) lendRouteTemplate(req, metadata);
}

function endWithResponse(span: Span, req: IncomingMessage, res: ServerResponse, context: RequestContext): void {
  whenResponseEnds(res, () => {
    const route = routeTemplateOf(context);
    span.updateName(`${req.method ?? 'GET'} ${route}`);
    span.setAttribute('http.route', route);
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    if (!res.writableEnded) span.setAttribute('sightline.outcome', 'client_aborted');
    span.end();
  });
}

function pathOf(url: string | undefined): string {
  return (url ?? '/').split('?', 1)[0] as string;
}
