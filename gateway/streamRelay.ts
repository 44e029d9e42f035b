import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createSseFrameAssembler, FRAME_TOO_LARGE, isEventStreamContentType, type Observability, type StreamFigures } from '../middleware';
import type { Competitor } from './competitors';
import type { GatewayConfig } from './config';
import type { GatewayMetrics } from './gatewayMetrics';
import { createRelayedEventReader } from './relayedEvents';
import { errorEvent, SseClientWriter, type CutReason } from './sseClientWriter';
import { contractViolations } from './streamContract';
import { unrefTimer } from './unrefTimer';
import { upstreamCallLog } from './upstreamCallLog';
import { callUpstream, requestErrorOf, UpstreamFailure, type UpstreamOutcome, type Verdict } from './upstreamRequest';

export interface StreamRelayDeps {
  readonly obs: Observability;
  readonly config: GatewayConfig;
  readonly metrics: GatewayMetrics;
}

/** A competitor's 4xx body is passed through; beyond this it is replaced by an error of our own. */
const MAX_REJECTION_BODY = 64 * 1024;

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
  const requestId = obs.context.get()?.requestId;
  const callLog = upstreamCallLog(obs);
  const { say, sayAfterTick, note } = callLog;
  const startedAt = performance.now();

  let paused = false;
  let done = false;
  let upstream: IncomingMessage | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let settle: (outcome: UpstreamOutcome) => void = () => undefined;
  const outcome = new Promise<UpstreamOutcome>((resolve) => {
    settle = resolve;
  });

  // Only whole frames are written: a keep-alive or an error event of the gateway's own never lands inside one.
  const frames = createSseFrameAssembler(config.maxFrameBytes);
  const events = createRelayedEventReader({
    parseError: () => metrics.streamParseErrors.inc(labels),
    firstContent,
    janus: (entry) => say('info', 'stream event', { competitor_id: id, janus_event: entry.event, payload: entry.payload }),
    ended: () => done,
  });
  const writer = new SseClientWriter(res, {
    obs,
    config,
    metrics,
    log: callLog,
    competitorId: id,
    source: {
      pause() {
        paused = true;
        upstream?.pause();
      },
      resume() {
        paused = false;
        idleTimer?.refresh();
        upstream?.resume();
      },
    },
    onCut: cut,
  });
  const observation = obs.observeStream(req, res, { upstream: id, isContent: events.isContent, maxFrameBytes: config.maxFrameBytes });
  const totalTimer = unrefTimer(
    () => fail(new UpstreamFailure('total', `${id} did not finish within ${config.totalTimeoutMs} ms`)),
    config.totalTimeoutMs,
  );
  const firstTokenTimer = unrefTimer(
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

  function firstContent(): void {
    clearTimeout(firstTokenTimer);
    const ms = performance.now() - startedAt;
    metrics.upstreamTtft.observe(labels, ms / 1000);
    note('upstream_ttft_ms', Math.round(ms * 1000) / 1000);
    say('info', 'first token', { competitor_id: id, upstream_ttft_ms: Math.round(ms * 1000) / 1000 });
    working();
  }

  function onConnected(): void {
    if (idleTimer === undefined) idleTimer = unrefTimer(onIdle, config.idleTimeoutMs);
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
    const contentType = response.headers['content-type'];
    if (!isEventStreamContentType(contentType)) {
      say('info', 'upstream answered', { ...answered, upstream_content_type: contentType?.slice(0, 100) });
      const given = contentType === undefined ? 'no content type' : `content type ${JSON.stringify(contentType.slice(0, 100))}`;
      fail(new UpstreamFailure('not_event_stream', `${id} answered HTTP ${status} with ${given}, not an event stream`, status));
      return;
    }
    writer.startKeepalive();
    response.on('data', onData);
    response.on('end', onUpstreamEnd);
    response.on('close', onUpstreamClose);
    sayAfterTick('upstream answered', answered);
  }

  function onData(chunk: Buffer): void {
    if (done) return;
    idleTimer?.refresh();
    const complete = frames.push(chunk);
    if (complete === undefined) return;
    if (complete === FRAME_TOO_LARGE) {
      fail(new UpstreamFailure('frame_too_large', `${id} sent an event of more than ${config.maxFrameBytes} bytes`));
      return;
    }
    const flushed = writer.write(complete);
    if (events.upstreamError !== undefined) {
      endOnUpstreamError();
      return;
    }
    writer.afterWrite(flushed);
  }

  function onUpstreamEnd(): void {
    if (done) return;
    if (!frames.heldOnlyLineEndings) {
      fail(new UpstreamFailure('interrupted', `${id} ended the stream in the middle of an event`));
      return;
    }
    finish(undefined, 'success');
  }

  /** The competitor's own error event went through unchanged and ends the stream, which failed. */
  function endOnUpstreamError(): void {
    metrics.upstreamFailures.inc({ competitor: id, reason: 'error_event' });
    note('upstream_error', events.upstreamError);
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
      writer.stop();
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
    say('warn', 'upstream failed', { competitor_id: id, reason: failure.reason, error: failure.message, committed: writer.committed });
    note('upstream_error', failure.message);
    if (failure.upstreamStatus !== undefined) note('upstream_status', failure.upstreamStatus);
    observation.fail(failure.outcome, failure.reason);
    if (!writer.committed) {
      done = true;
      cleanup();
      writer.stop();
      dropUnfinishedFrame();
      abortUpstream(failure.outcome === 'timeout' ? 'timeout' : undefined);
      settle({ verdict: 'failure', error: requestErrorOf(failure) });
      return;
    }
    const type = failure.outcome === 'timeout' ? 'timeout_error' : 'upstream_error';
    finish(errorEvent(failure.message, type, failure.code, requestId), 'failure');
    abortUpstream(failure.outcome === 'timeout' ? 'timeout' : undefined);
  }

  /** The client does not keep up: the stream ends with an error event, and the upstream is let go. */
  function cut(reason: CutReason, message: string): void {
    observation.fail('timeout', reason);
    finish(errorEvent(message, 'timeout_error', reason, requestId), 'success');
    abortUpstream('slow_client');
  }

  function finish(tail: string | undefined, verdict: Verdict): void {
    done = true;
    cleanup();
    dropUnfinishedFrame();
    writer.end(tail);
    contract(observation.finish(true));
    settle({ verdict, error: undefined });
  }

  function onResponseClose(): void {
    // Noted only now: a context field is repeated on every later line of the request.
    if (events.janusEvents !== undefined) note('janus_events', events.janusEvents);
    if (done) return;
    done = true;
    cleanup();
    writer.stop();
    abortUpstream('client_closed');
    const figures = observation.finish(false);
    if (writer.committed) contract(figures);
    settle({ verdict: upstream === undefined ? 'inconclusive' : 'success', error: undefined });
  }

  /** An event the upstream began and never ended is not passed on: the client could not parse it. */
  function dropUnfinishedFrame(): void {
    if (frames.heldOnlyLineEndings) return;
    const bytes = frames.drop();
    metrics.partialFramesDropped.inc(labels);
    note('dropped_frame_bytes', bytes);
  }

  function contract(figures: StreamFigures): void {
    const violations = contractViolations(figures, config);
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
  }
}


function ignore(): void {}
