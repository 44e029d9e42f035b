/**
 * Reading exported spans and a traced service's answers in the end-to-end tracing tests.
 */
import { get as httpGet } from 'node:http';
import type { ChildService, LogLine } from './childService';
import type { ReceivedSpan } from './otlpReceiver';

export const SPAN_WAIT_MS = 10_000;

// OTLP's SpanKind numbering (SPAN_KIND_UNSPECIFIED = 0).
export const KIND_INTERNAL = 1;
export const KIND_SERVER = 2;
export const KIND_CLIENT = 3;

export const HTTP_SCOPE = '@opentelemetry/instrumentation-http';
export const UNDICI_SCOPE = '@opentelemetry/instrumentation-undici';
export const EXPRESS_SCOPE = '@opentelemetry/instrumentation-express';

export interface Traceparent {
  traceId: string;
  parentId: string;
  flags: string;
}

export function parseTraceparent(value: string | null | undefined): Traceparent {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(value ?? '');
  if (match === null) throw new Error(`not a version-00 traceparent: ${JSON.stringify(value)}`);
  return { traceId: match[1]!, parentId: match[2]!, flags: match[3]! };
}

/**
 * `node:http`, not `fetch`: a test file that ran earlier in this jest worker may have started
 * tracing in-process, and instrumentation-undici listens on diagnostics channels process-wide:
 * its client span would become the parent of a span this test expects to be a root.
 */
export function getJson(url: string): Promise<{ status: number; traceparent: string | null; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    httpGet(url, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => {
        const traceparent = response.headers.traceparent;
        resolve({
          status: response.statusCode ?? 0,
          traceparent: typeof traceparent === 'string' ? traceparent : null,
          body: JSON.parse(text) as Record<string, unknown>,
        });
      });
    }).on('error', reject);
  });
}

export function serviceOf(span: ReceivedSpan): unknown {
  return span.resource['service.name'];
}

export function spansOf(spans: readonly ReceivedSpan[], service: string, traceId: string): ReceivedSpan[] {
  return spans.filter((s) => serviceOf(s) === service && s.traceId === traceId);
}

export function serverSpanOf(spans: readonly ReceivedSpan[], service: string, traceId: string): ReceivedSpan | undefined {
  return spansOf(spans, service, traceId).find((s) => s.kind === KIND_SERVER);
}

/** Follows parentSpanId from `span` upwards within `spans`; the ancestors, nearest first. */
export function ancestorsOf(span: ReceivedSpan, spans: readonly ReceivedSpan[]): ReceivedSpan[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const chain: ReceivedSpan[] = [];
  let parent = byId.get(span.parentSpanId);
  while (parent !== undefined && chain.length < 50) {
    chain.push(parent);
    parent = byId.get(parent.parentSpanId);
  }
  return chain;
}

/** One line per span, indented under its parent: printed when an assertion about the tree fails. */
export function describeTree(spans: readonly ReceivedSpan[]): string {
  return spans
    .map((s) => `${String(serviceOf(s))} ${s.spanId} <- ${s.parentSpanId || '(root)'} kind=${s.kind} "${s.name}" [${s.scope}]`)
    .join('\n');
}

export function completedLine(lines: readonly LogLine[], url: string): LogLine | undefined {
  // `request completed` has `route`, not `url`: pair it with its `request started` by request id.
  const started = lines.find((l) => l.message === 'request started' && l.url === url);
  if (started === undefined) return undefined;
  return lines.find((l) => l.message === 'request completed' && l.request_id === started.request_id);
}

export async function waitForCompleted(service: ChildService, url: string): Promise<LogLine> {
  const lines = await service.waitForLogLines((seen) => completedLine(seen, url) !== undefined, SPAN_WAIT_MS);
  return completedLine(lines, url)!;
}

