import type { IncomingMessage } from 'node:http';
import { context, INVALID_SPAN_CONTEXT, propagation, trace, type Span } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { pathMatcher } from './pathMatcher';

/** Paths whose requests create no spans: probes and scrapes would drown the traces. */
export const UNTRACED_PATHS: readonly string[] = ['/health', '/metrics'];

/** Where instrumentation-http leaves the server span it started, for sightline's middleware to read. */
const kServerSpan = Symbol.for('sightline.serverSpan');
/**
 * Module patching is process-wide by nature (there is one `http`, one `express`), so the
 * record that it was done lives on the process, keyed so two copies of sightline agree.
 */
const kProcessInstrumentation = Symbol.for('sightline.processInstrumentation');

export interface ProcessInstrumentation {
  /** Express was already loaded when instrumentation started: its spans and `http.route` may be missing. */
  readonly expressLoadedFirst: boolean;
  /** Whether the warning about it has been written (once per process). */
  warned: boolean;
  /**
   * Stops what sightline patched that the service's own instrumentations would duplicate,
   * when the service registered its OpenTelemetry after `sightline/register` ran. Its http
   * and Express patches need nothing: an instrumentation patching the same function later
   * replaces them (OpenTelemetry's `_wrap` unwraps first); `fetch` is traced through
   * diagnostics channels, where two subscribers would make two spans.
   */
  yieldToService(): void;
}

type InstrumentedGlobal = typeof globalThis & { [kProcessInstrumentation]?: ProcessInstrumentation };

/**
 * Patches `http`, Express and Node's `fetch` (undici) for OpenTelemetry, once per process.
 * Spans go to whichever tracer provider is registered later, so this can run before any
 * configuration is read: that is what `sightline/register` does, ahead of the app.
 */
export function instrumentProcess(): ProcessInstrumentation {
  const holder = globalThis as InstrumentedGlobal;
  const existing = holder[kProcessInstrumentation];
  if (existing !== undefined) return existing;
  const undici = new UndiciInstrumentation({
    // A trace handed in explicitly outside any span (a job continuing `TRACEPARENT`) goes out as it is.
    ignoreRequestHook: (request) => hasTraceHeader(request) && !hasActiveSpan(),
    requestHook(span, request) {
      if (willInjectTraceparent(span)) removeTraceHeaders(request);
    },
  });
  const state: ProcessInstrumentation = {
    expressLoadedFirst: isExpressLoaded(),
    warned: false,
    yieldToService: () => undici.disable(),
  };
  holder[kProcessInstrumentation] = state;
  registerInstrumentations({
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => isUntraced(request.url),
        requestHook(span, request) {
          if (!('setHeader' in request)) (request as IncomingMessage & { [kServerSpan]?: Span })[kServerSpan] = span;
        },
      }),
      // One span per route handler (it carries `http.route`); a span for every middleware and
      // router layer passed on the way (sightline's own, body parsers, each mounted router)
      // would triple the spans per request and bury the ones that matter.
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER] }),
      undici,
    ],
  });
  // A require after patching is what applies it to a module loaded before.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('http');
  return state;
}

export function processInstrumentation(): ProcessInstrumentation | undefined {
  return (globalThis as InstrumentedGlobal)[kProcessInstrumentation];
}

/**
 * The server span an http instrumentation started for this request: sightline's own (its
 * request hook left it on the request), or any other's, read from the RPC metadata that
 * instrumentation-http puts in the request's context (a service's own SDK).
 */
export function serverSpanOf(req: IncomingMessage): Span | undefined {
  const own = (req as IncomingMessage & { [kServerSpan]?: Span })[kServerSpan];
  if (own !== undefined) return own;
  const metadata = getRPCMetadata(context.active());
  return metadata?.type === RPCType.HTTP ? metadata.span : undefined;
}

const matchesUntraced = pathMatcher('tracing', UNTRACED_PATHS);

export function isUntraced(url: string | undefined): boolean {
  return matchesUntraced(url ?? '/');
}

function hasActiveSpan(): boolean {
  return trace.isSpanContextValid(trace.getSpanContext(context.active()) ?? INVALID_SPAN_CONTEXT);
}

/** Whether instrumentation-undici is about to add a `traceparent` (a tracer provider is registered and the span is real). */
function willInjectTraceparent(span: Span): boolean {
  return trace.isSpanContextValid(span.spanContext()) && propagation.fields().includes('traceparent');
}

function headerNames(request: { headers?: unknown }): string[] {
  const { headers } = request;
  if (Array.isArray(headers)) return headers.filter((_, i) => i % 2 === 0).map(String);
  if (typeof headers === 'string') return headers.split('\r\n').map((line) => line.slice(0, Math.max(0, line.indexOf(':'))));
  return [];
}

function hasTraceHeader(request: { headers?: unknown }): boolean {
  return headerNames(request).some(isTraceHeader);
}

/**
 * instrumentation-undici appends its own `traceparent`: one passed by the caller (say from
 * `obs.outgoingHeaders()`) would go out as a second header, which makes the receiver start
 * a new trace. The span's own header is the right one, so the caller's is removed first.
 */
function removeTraceHeaders(request: { headers?: unknown }): void {
  const { headers } = request;
  if (Array.isArray(headers)) {
    for (let i = headers.length - 2; i >= 0; i -= 2) {
      if (isTraceHeader(String(headers[i]))) headers.splice(i, 2);
    }
  } else if (typeof headers === 'string') {
    request.headers = headers
      .split('\r\n')
      .filter((line) => !isTraceHeader(line.slice(0, Math.max(0, line.indexOf(':')))))
      .join('\r\n');
  }
}

function isTraceHeader(name: string): boolean {
  const lower = name.trim().toLowerCase();
  return lower === 'traceparent' || lower === 'tracestate';
}

function isExpressLoaded(): boolean {
  return Object.keys(require.cache).some((file) => /[\\/]node_modules[\\/]express[\\/]/.test(file));
}
