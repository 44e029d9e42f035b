import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { isOpenAiContentEvent, type Observability, type ObserveStreamOptions, type StreamFigures } from '../src';
import type { Competitor } from './competitors';
import type { GatewayConfig } from './config';
import type { CONTRACT_KINDS, GatewayMetrics } from './gatewayMetrics';
import { callUpstream, requestErrorOf, UpstreamFailure, type UpstreamOutcome, type Verdict } from './upstreamRequest';

type StreamEvent = Parameters<NonNullable<ObserveStreamOptions['isContent']>>[0];

export interface StreamRelayDeps {
  readonly obs: Observability;
  readonly config: GatewayConfig;
  readonly metrics: GatewayMetrics;
}

/** A `delta.janus` event of the competitor contract (tool and sandbox lifecycle). */
export interface JanusEvent {
  readonly event: string;
  readonly payload: unknown;
}

export type CutReason = 'slow_client' | 'buffer_limit';

const SSE_HEADERS = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
});
const PING = ': ping\n\n';
/** Janus events kept for the log line; a stream may carry thousands. */
const MAX_JANUS_EVENTS = 50;
/** A janus event's payload is kept only when its event is this small; a tool's whole output would pin memory. */
const MAX_JANUS_EVENT_CHARS = 2048;
const MAX_ERROR_MESSAGE = 500;
/** A competitor's 4xx body is passed through; beyond this it is replaced by an error of our own. */
const MAX_REJECTION_BODY = 64 * 1024;
/** Grace for the final error event to reach a client cut for being slow, before the socket is destroyed. */
const CUT_GRACE_MS = 1000;

/**
 * Relays one streamed completion: the competitor's bytes go to the client unchanged, as they
 * arrive, while sightline's stream observation parses what is written. Resolves once the
 * stream is over, with the verdict for the competitor's circuit, or with the error to answer
 * when the competitor failed before anything reached the client.
 */
export function relayStream(
  req: IncomingMessage,
  res: ServerResponse,
  competitor: Competitor,
  body: Buffer,
  deps: StreamRelayDeps,
  /** Called once, at the first content event: the competitor demonstrably works. */
  working: () => void = () => undefined,
): Promise<UpstreamOutcome> {
  const { obs, config, metrics } = deps;
  const id = competitor.id;
  const labels = { competitor: id };
  const requestContext = obs.context.get();
  const startedAt = performance.now();

  let committed = false;
  let paused = false;
  let done = false;
  let sawContent = false;
  let upstream: IncomingMessage | undefined;
  let upstreamError: string | undefined;
  let janusEvents: JanusEvent[] | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let keepaliveTimer: NodeJS.Timeout | undefined;
  let slowTimer: NodeJS.Timeout | undefined;
  let lastWriteAt: number | undefined;
  let deferred: [message: string, fields: Record<string, unknown>][] | undefined;
  let settle: (outcome: UpstreamOutcome) => void = () => undefined;
  const outcome = new Promise<UpstreamOutcome>((resolve) => {
    settle = resolve;
  });

  const observation = obs.observeStream(req, res, { upstream: id, isContent });
  const totalTimer = timer(
    () => fail(new UpstreamFailure('total', `${id} did not finish within ${config.totalTimeoutMs} ms`)),
    config.totalTimeoutMs,
  );
  const firstTokenTimer = timer(
    () => fail(new UpstreamFailure('first_token', `${id} sent no content within ${config.firstTokenTimeoutMs} ms`)),
    config.firstTokenTimeoutMs,
  );
  // Ahead of sightline's own `close` listener, so what is noted here reaches the request's log line.
  res.prependListener('close', onResponseClose);

  const call = callUpstream(
    competitor,
    {
      path: competitor.completionsPath,
      body,
      stream: true,
      headers: obs.outgoingHeaders(),
      connectTimeoutMs: config.connectTimeoutMs,
    },
    { onConnected, onResponse, onError: fail },
  );
  sayAfterTick('upstream call started', { competitor_id: id, stream: true });
  return outcome;

  /**
   * Called by sightline, synchronously, for each data event as it is written. Text checks
   * decide; JSON is parsed only for the rare events carrying an `error` or `janus` object.
   */
  function isContent(event: StreamEvent): boolean {
    const { data } = event;
    if (firstNonSpace(data) !== OPEN_BRACE) {
      if (data !== DONE) metrics.streamParseErrors.inc(labels);
      return false;
    }
    let parsed: unknown = NOT_PARSED;
    if (objectFollowsKey(data, ERROR_KEY)) {
      parsed = parseEvent(data);
      const error = (parsed as { error?: unknown } | undefined)?.error;
      // Only a top-level `error` ends a stream; a tool's error inside a janus payload does not.
      if (typeof error === 'object' && error !== null) {
        if (!done) noteUpstreamError(error as { message?: unknown });
        return false;
      }
    }
    if (objectFollowsKey(data, JANUS_KEY)) {
      if (parsed === NOT_PARSED) parsed = parseEvent(data);
      noteJanus(parsed, data.length);
    }
    // A parsed chunk is judged by its delta alone, so a payload's own `content` does not count.
    const content = parsed === NOT_PARSED ? isOpenAiContentEvent(event) : deltaCarriesContent(parsed);
    if (content && !sawContent) firstContent();
    return content;
  }

  /** An event's JSON, counted as a parse error when it is not JSON (undefined then). */
  function parseEvent(data: string): unknown {
    const parsed = parseJson(data);
    if (parsed === undefined) metrics.streamParseErrors.inc(labels);
    return parsed;
  }

  function firstContent(): void {
    sawContent = true;
    clearTimeout(firstTokenTimer);
    const ms = performance.now() - startedAt;
    metrics.upstreamTtft.observe(labels, ms / 1000);
    note('upstream_ttft_ms', Math.round(ms * 1000) / 1000);
    say('info', 'first token', { competitor_id: id, upstream_ttft_ms: Math.round(ms * 1000) / 1000 });
    working();
  }

  function noteUpstreamError(error: { message?: unknown }): void {
    if (upstreamError !== undefined) return;
    const message = typeof error.message === 'string' && error.message !== '' ? error.message : 'error event';
    upstreamError = message.slice(0, MAX_ERROR_MESSAGE);
  }

  function noteJanus(parsed: unknown, size: number): void {
    const janus = (deltaOf(parsed)?.janus ?? (parsed as { janus?: unknown } | undefined)?.janus) as
      | { event?: unknown; payload?: unknown }
      | undefined;
    if (typeof janus !== 'object' || janus === null || typeof janus.event !== 'string') return;
    const payload = size <= MAX_JANUS_EVENT_CHARS ? janus.payload : { omitted: true, event_chars: size };
    const entry: JanusEvent = { event: janus.event.slice(0, 64), payload };
    janusEvents ??= [];
    if (janusEvents.length >= MAX_JANUS_EVENTS) return;
    janusEvents.push(entry);
    say('info', 'stream event', { competitor_id: id, janus_event: entry.event, payload: entry.payload });
  }

  function onConnected(): void {
    if (idleTimer === undefined) idleTimer = timer(onIdle, config.idleTimeoutMs);
    else idleTimer.refresh();
  }

  function onIdle(): void {
    // A paused upstream is silent because the client is slow; that is the slow-client timer's business.
    if (paused) {
      idleTimer?.refresh();
      return;
    }
    fail(new UpstreamFailure('idle', `${id} sent nothing for ${config.idleTimeoutMs} ms`));
  }

  function onResponse(response: IncomingMessage): void {
    if (done) {
      response.destroy();
      return;
    }
    upstream = response;
    onConnected();
    response.on('error', ignore);
    const status = response.statusCode ?? 0;
    const answered = { competitor_id: id, upstream_status: status, upstream_headers_ms: Math.round((performance.now() - startedAt) * 1000) / 1000 };
    if (status < 200 || status >= 300) {
      say('info', 'upstream answered', answered);
      rejected(response, status);
      return;
    }
    keepaliveTimer = timer(onKeepaliveDue, config.keepaliveIntervalMs);
    response.on('data', onData);
    response.on('end', onUpstreamEnd);
    response.on('close', onUpstreamClose);
    sayAfterTick('upstream answered', answered);
  }

  function onData(chunk: Buffer): void {
    if (done) return;
    idleTimer?.refresh();
    if (!committed) commit();
    wrote();
    const flushed = res.write(chunk);
    if (upstreamError !== undefined) {
      endOnUpstreamError();
      return;
    }
    keepaliveTimer?.refresh();
    if (!flushed) backpressure();
  }

  function onKeepaliveDue(): void {
    if (done) return;
    if (paused) {
      keepaliveTimer?.refresh();
      return;
    }
    if (!committed) commit();
    metrics.keepalivesSent.inc(labels);
    wrote();
    const flushed = res.write(PING);
    keepaliveTimer?.refresh();
    if (!flushed) backpressure();
  }

  function commit(): void {
    committed = true;
    res.writeHead(200, SSE_HEADERS);
  }

  function backpressure(): void {
    if (res.writableLength > config.maxBufferedBytes) {
      cut('buffer_limit');
      return;
    }
    if (paused) return;
    paused = true;
    upstream?.pause();
    slowTimer = timer(() => cut('slow_client'), config.slowClientTimeoutMs);
    res.once('drain', onDrain);
  }

  function onDrain(): void {
    if (done) return;
    paused = false;
    clearTimeout(slowTimer);
    idleTimer?.refresh();
    keepaliveTimer?.refresh();
    upstream?.resume();
  }

  function onUpstreamEnd(): void {
    if (done) return;
    if (!committed) commit();
    finish(undefined, 'success');
  }

  /** The competitor's own error event went through unchanged and ends the stream, which failed. */
  function endOnUpstreamError(): void {
    metrics.upstreamFailures.inc({ competitor: id, reason: 'error_event' });
    note('upstream_error', upstreamError);
    observation.fail('upstream_error', 'error_event');
    finish(undefined, 'failure');
    abortUpstream(undefined);
  }

  function onUpstreamClose(this: IncomingMessage): void {
    if (done || this.complete) return;
    fail(new UpstreamFailure('interrupted', `${id} closed the stream before it ended`));
  }

  function rejected(response: IncomingMessage, status: number): void {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      idleTimer?.refresh();
      size += chunk.byteLength;
      if (size <= MAX_REJECTION_BODY) chunks.push(chunk);
    });
    response.on('close', () => {
      if (done) return;
      if (!response.complete) {
        fail(new UpstreamFailure('interrupted', `${id} closed its ${status} answer before it ended`));
        return;
      }
      if (status < 400 || status >= 500) {
        fail(new UpstreamFailure('http_status', `${id} answered HTTP ${status}`, status));
        return;
      }
      // The competitor refused the request itself (4xx): its answer is the client's, and not its fault.
      note('upstream_status', status);
      done = true;
      cleanup();
      if (size > MAX_REJECTION_BODY) {
        settle({ verdict: 'success', error: requestErrorOf(new UpstreamFailure('http_status', `${id} refused the request (HTTP ${status})`, status)) });
        return;
      }
      res.statusCode = status;
      res.setHeader('content-type', response.headers['content-type'] ?? 'application/json');
      res.end(Buffer.concat(chunks, size));
      settle({ verdict: 'success', error: undefined });
    });
    response.resume();
  }

  function fail(failure: UpstreamFailure): void {
    if (done) return;
    metrics.upstreamFailures.inc({ competitor: id, reason: failure.reason });
    say('warn', 'upstream failed', { competitor_id: id, reason: failure.reason, error: failure.message, committed });
    note('upstream_error', failure.message);
    if (failure.upstreamStatus !== undefined) note('upstream_status', failure.upstreamStatus);
    observation.fail(failure.outcome, failure.reason);
    if (!committed) {
      done = true;
      cleanup();
      abortUpstream(failure.outcome === 'timeout' ? 'timeout' : undefined);
      settle({ verdict: 'failure', error: requestErrorOf(failure) });
      return;
    }
    const type = failure.outcome === 'timeout' ? 'timeout_error' : 'upstream_error';
    finish(errorEvent(failure.message, type, failure.code, requestContext?.requestId), 'failure');
    abortUpstream(failure.outcome === 'timeout' ? 'timeout' : undefined);
  }

  /** The client does not keep up: cut the stream, so what it holds stays bounded. */
  function cut(reason: CutReason): void {
    if (done) return;
    const buffered = res.writableLength;
    metrics.streamOverflows.inc(labels);
    say('warn', 'stream cut', { competitor_id: id, reason, buffered_bytes: buffered });
    obs.events.emit('stream.cut', { buffered_bytes: buffered }, { competitor: id, reason });
    observation.fail('timeout', reason);
    const message = reason === 'slow_client' ? `the client read nothing for ${config.slowClientTimeoutMs} ms` : `more than ${config.maxBufferedBytes} bytes waited for the client`;
    finish(errorEvent(message, 'timeout_error', reason, requestContext?.requestId), 'success');
    abortUpstream('slow_client');
    const destroyTimer = timer(() => res.destroy(), Math.min(CUT_GRACE_MS, config.slowClientTimeoutMs));
    res.once('close', () => clearTimeout(destroyTimer));
  }

  function finish(tail: string | undefined, verdict: Verdict): void {
    done = true;
    cleanup();
    res.end(tail);
    contract(observation.finish(true));
    settle({ verdict, error: undefined });
  }

  function onResponseClose(): void {
    // Noted only now: a context field is repeated on every later line of the request.
    if (janusEvents !== undefined) note('janus_events', janusEvents);
    if (done) return;
    done = true;
    cleanup();
    abortUpstream('client_closed');
    const figures = observation.finish(false);
    if (committed) contract(figures);
    settle({ verdict: upstream === undefined ? 'inconclusive' : 'success', error: undefined });
  }

  function contract(figures: StreamFigures): void {
    const violations: (typeof CONTRACT_KINDS)[number][] = [];
    const { ttftMs } = figures;
    const lateFirstContent =
      ttftMs === undefined ? figures.outcome === 'completed' || figures.durationMs > config.contractTtftMs : ttftMs > config.contractTtftMs;
    if (lateFirstContent) violations.push('ttft');
    if (figures.maxGapMs > config.contractGapMs) violations.push('gap');
    for (const kind of violations) metrics.contractViolations.inc({ competitor: id, kind });
    note('contract_violations', violations);
  }

  function abortUpstream(reason: 'client_closed' | 'slow_client' | 'timeout' | undefined): void {
    if (call.aborted) return;
    if (reason !== undefined && !(upstream?.complete ?? false)) metrics.upstreamAborts.inc({ competitor: id, reason });
    call.abort();
  }

  function cleanup(): void {
    clearTimeout(totalTimer);
    clearTimeout(firstTokenTimer);
    clearTimeout(idleTimer);
    clearTimeout(keepaliveTimer);
    clearTimeout(slowTimer);
    res.off('drain', onDrain);
  }

  /** A gap over the contract is logged as it ends, so the request's timeline shows where it was. */
  function wrote(): void {
    const now = performance.now();
    const gap = lastWriteAt === undefined ? 0 : now - lastWriteAt;
    lastWriteAt = now;
    if (gap > config.contractGapMs) say('warn', 'gap over contract', { competitor_id: id, gap_ms: Math.round(gap), contract_gap_ms: config.contractGapMs });
  }

  /**
   * Bookkeeping lines wait for the next tick, which is when a pooled connection sends the
   * request and when an upstream's first bytes reach the client; any other line writes them first.
   */
  function sayAfterTick(message: string, fields: Record<string, unknown>): void {
    if (deferred === undefined) {
      deferred = [];
      process.nextTick(sayDeferred);
    }
    deferred.push([message, fields]);
  }

  function sayDeferred(): void {
    const lines = deferred;
    deferred = undefined;
    if (lines !== undefined) for (const [message, fields] of lines) say('info', message, fields);
  }

  /** A log line of this request: upstream callbacks run outside its async scope, so it is entered here. */
  function say(level: 'info' | 'warn', message: string, fields: Record<string, unknown>): void {
    if (deferred !== undefined) sayDeferred();
    const line = (): void => void obs.logger.log(level, message, { target: 'gateway', ...fields });
    if (requestContext === undefined) line();
    else obs.context.run(requestContext, line);
  }

  /** Request context fields join the request's log lines; callbacks here may run outside its async scope. */
  function note(key: string, value: unknown): void {
    if (requestContext !== undefined) requestContext.fields[key] = value;
  }
}

/** One final SSE event the openai client raises as an APIError instead of ending as if complete. */
export function errorEvent(message: string, type: string, code: string, requestId: string | undefined): string {
  return `data: ${JSON.stringify({ error: { message, type, param: null, code, request_id: requestId } })}\n\n`;
}

const OPEN_BRACE = 0x7b;
const COLON = 0x3a;
const ERROR_KEY = '"error"';
const JANUS_KEY = '"janus"';
const DONE = '[DONE]';
const NOT_PARSED = Symbol('not parsed');

/** `isOpenAiContentEvent`'s decision on a parsed chunk, from `choices[0].delta` only. */
export function deltaCarriesContent(parsed: unknown): boolean {
  const delta = deltaOf(parsed);
  if (delta === undefined) return false;
  const { content, reasoning_content: reasoning, tool_calls: toolCalls } = delta;
  return (
    (typeof content === 'string' && content !== '') ||
    (typeof reasoning === 'string' && reasoning !== '') ||
    (Array.isArray(toolCalls) && toolCalls.length > 0)
  );
}

function deltaOf(parsed: unknown): Record<string, unknown> | undefined {
  const delta = (parsed as { choices?: { delta?: unknown }[] } | undefined)?.choices?.[0]?.delta;
  return typeof delta === 'object' && delta !== null ? (delta as Record<string, unknown>) : undefined;
}

/** Whether `key` appears with an object as its value (`"error": {`). */
export function objectFollowsKey(data: string, key: string): boolean {
  for (let at = data.indexOf(key); at !== -1; at = data.indexOf(key, at + key.length)) {
    const value = valueStart(data, at + key.length);
    if (value !== -1 && data.charCodeAt(value) === OPEN_BRACE) return true;
  }
  return false;
}

/** Index of the value after a key (past `:` and whitespace), or -1 when no colon follows. */
function valueStart(data: string, afterKey: number): number {
  const colon = skipSpace(data, afterKey);
  if (data.charCodeAt(colon) !== COLON) return -1;
  return skipSpace(data, colon + 1);
}

function skipSpace(data: string, from: number): number {
  let i = from;
  for (let c = data.charCodeAt(i); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = data.charCodeAt(++i));
  return i;
}

function firstNonSpace(data: string): number {
  return data.charCodeAt(skipSpace(data, 0));
}

function parseJson(data: string): unknown {
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return undefined;
  }
}

function timer(callback: () => void, ms: number): NodeJS.Timeout {
  const handle = setTimeout(callback, ms);
  handle.unref();
  return handle;
}

function ignore(): void {}
