import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  createSseFrameAssembler,
  FRAME_TOO_LARGE,
  isEventStreamContentType,
  type Observability,
  type StreamFigures,
  type SseFrameAssembler,
  type StreamObservation,
} from '../middleware';
import type { Competitor } from './competitors';
import type { GatewayConfig } from './config';
import type { GatewayMetrics } from './gatewayMetrics';
import { HeldAnswer } from './heldAnswer';
import { createRelayedEventReader, type RelayedEventReader } from './relayedEvents';
import { errorEvent, SseClientWriter, type CutReason } from './sseClientWriter';
import { contractViolations } from './streamContract';
import { upstreamCallLog, type UpstreamCallLog } from './upstreamCallLog';
import { UpstreamExchange, type UpstreamExchangeHandler } from './upstreamExchange';
import { requestErrorOf, UpstreamFailure, type UpstreamOutcome, type Verdict } from './upstreamRequest';

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
  return new StreamRelay(req, res, competitor, deps, working).start(body);
}

/** The streaming path of an upstream exchange: frames from the competitor, written to the client. */
class StreamRelay implements UpstreamExchangeHandler {
  private readonly res: ServerResponse;
  private readonly id: string;
  private readonly labels: { readonly competitor: string };
  private readonly config: GatewayConfig;
  private readonly metrics: GatewayMetrics;
  private readonly log: UpstreamCallLog;
  private readonly working: () => void;
  private readonly requestId: string | undefined;
  private readonly startedAt = performance.now();
  private readonly exchange: UpstreamExchange;
  // Only whole frames are written: a keep-alive or an error event of the gateway's own never lands inside one.
  private readonly frames: SseFrameAssembler;
  private readonly events: RelayedEventReader;
  private readonly writer: SseClientWriter;
  private readonly observation: StreamObservation;

  constructor(req: IncomingMessage, res: ServerResponse, competitor: Competitor, deps: StreamRelayDeps, working: () => void) {
    const { obs, config, metrics } = deps;
    this.res = res;
    this.id = competitor.id;
    this.labels = { competitor: competitor.id };
    this.config = config;
    this.metrics = metrics;
    this.log = upstreamCallLog(obs);
    this.working = working;
    this.requestId = obs.context.get()?.requestId;
    this.exchange = new UpstreamExchange(res, competitor, 'stream', { obs, config, metrics, log: this.log }, this);
    this.frames = createSseFrameAssembler(config.maxFrameBytes);
    this.events = createRelayedEventReader({
      parseError: () => metrics.streamParseErrors.inc(this.labels),
      firstContent: () => this.firstContent(),
      janus: (entry) => this.log.say('info', 'stream event', { competitor_id: this.id, janus_event: entry.event, payload: entry.payload }),
      ended: () => this.exchange.finished,
    });
    this.writer = new SseClientWriter(res, { obs, config, metrics, log: this.log, competitorId: this.id, source: this.exchange, onCut: this.onCut });
    this.observation = obs.observeStream(req, res, { upstream: this.id, isContent: this.events.isContent, maxFrameBytes: config.maxFrameBytes });
  }

  start(body: Buffer): Promise<UpstreamOutcome> {
    const outcome = this.exchange.start(body);
    this.log.sayAfterTick('upstream call started', { competitor_id: this.id, stream: true });
    return outcome;
  }

  answered(response: IncomingMessage): void {
    const status = response.statusCode ?? 0;
    const answered = { competitor_id: this.id, upstream_status: status, upstream_headers_ms: toThousandths(this.msSinceStart()) };
    if (status < 200 || status >= 300) {
      this.log.say('info', 'upstream answered', answered);
      this.passRefusalOn(response, status);
      return;
    }
    const contentType = response.headers['content-type'];
    if (!isEventStreamContentType(contentType)) {
      this.log.say('info', 'upstream answered', { ...answered, upstream_content_type: contentType?.slice(0, 100) });
      const given = contentType === undefined ? 'no content type' : `content type ${JSON.stringify(contentType.slice(0, 100))}`;
      this.exchange.fail(new UpstreamFailure('not_event_stream', `${this.id} answered HTTP ${status} with ${given}, not an event stream`, status));
      return;
    }
    this.writer.startKeepalive();
    response.on('data', this.onData);
    response.on('end', this.onUpstreamEnd);
    response.on('close', this.onUpstreamClose);
    this.log.sayAfterTick('upstream answered', answered);
  }

  failing(failure: UpstreamFailure): void {
    // The competitor's own error event speaks for itself; what the gateway found wrong is logged.
    if (failure.reason === 'error_event') return;
    const fields = { competitor_id: this.id, reason: failure.reason, error: failure.message, committed: this.writer.committed };
    this.log.say('warn', 'upstream failed', fields);
  }

  failed(failure: UpstreamFailure): void {
    this.observation.fail(failure.outcome, failure.reason);
    if (!this.writer.committed) {
      this.writer.stop();
      this.dropUnfinishedFrame();
      return;
    }
    // The competitor's error event went through unchanged; any other failure ends with one of the gateway's own.
    const type = failure.outcome === 'timeout' ? 'timeout_error' : 'upstream_error';
    this.endClient(failure.reason === 'error_event' ? undefined : errorEvent(failure.message, type, failure.code, this.requestId));
  }

  responseClosed(leftFirst: boolean): void {
    // Noted only now: a context field is repeated on every later line of the request.
    if (this.events.janusEvents !== undefined) this.log.note('janus_events', this.events.janusEvents);
    if (!leftFirst) return;
    this.writer.stop();
    const figures = this.observation.finish(false);
    if (this.writer.committed) this.checkContract(figures);
  }

  private readonly onData = (chunk: Buffer): void => {
    const exchange = this.exchange;
    if (exchange.finished) return;
    exchange.receivedData();
    const complete = this.frames.push(chunk);
    if (complete === undefined) return;
    if (complete === FRAME_TOO_LARGE) {
      exchange.fail(new UpstreamFailure('frame_too_large', `${this.id} sent an event of more than ${this.config.maxFrameBytes} bytes`));
      return;
    }
    const flushed = this.writer.write(complete);
    // Read as the frame was written: the competitor's own error event ends the stream, which failed.
    const upstreamError = this.events.upstreamError;
    if (upstreamError !== undefined) {
      exchange.fail(new UpstreamFailure('error_event', upstreamError));
      return;
    }
    this.writer.afterWrite(flushed);
  };

  private readonly onUpstreamEnd = (): void => {
    if (this.exchange.finished) return;
    if (!this.frames.heldOnlyLineEndings) {
      this.exchange.fail(new UpstreamFailure('interrupted', `${this.id} ended the stream in the middle of an event`));
      return;
    }
    this.finish(undefined, 'success');
  };

  private readonly onUpstreamClose = (): void => {
    if (this.exchange.finished || this.exchange.responseComplete) return;
    this.exchange.fail(new UpstreamFailure('interrupted', `${this.id} closed the stream before it ended`));
  };

  /** The client does not keep up: the stream ends with an error event, and the upstream is let go. */
  private readonly onCut = (reason: CutReason, message: string): void => {
    this.observation.fail('timeout', reason);
    this.finish(errorEvent(message, 'timeout_error', reason, this.requestId), 'success');
    this.exchange.abort('slow_client');
  };

  private firstContent(): void {
    this.exchange.contentArrived();
    const ms = this.msSinceStart();
    this.metrics.upstreamTtft.observe(this.labels, ms / 1000);
    this.log.note('upstream_ttft_ms', toThousandths(ms));
    this.log.say('info', 'first token', { competitor_id: this.id, upstream_ttft_ms: toThousandths(ms) });
    this.working();
  }

  /** The competitor refused the request (4xx): its answer is the client's, and not its fault. Other statuses fail. */
  private passRefusalOn(response: IncomingMessage, status: number): void {
    const answer = new HeldAnswer(MAX_REJECTION_BODY);
    response.on('data', (chunk: Buffer) => {
      this.exchange.receivedData();
      answer.add(chunk);
    });
    response.on('close', () => {
      const exchange = this.exchange;
      if (exchange.finished) return;
      if (!response.complete) {
        exchange.fail(new UpstreamFailure('interrupted', `${this.id} closed its ${status} answer before it ended`));
        return;
      }
      if (status < 400 || status >= 500) {
        exchange.fail(new UpstreamFailure('http_status', `${this.id} answered HTTP ${status}`, status));
        return;
      }
      this.log.note('upstream_status', status);
      this.writer.stop();
      if (answer.overLimit) {
        exchange.finish('success', requestErrorOf(new UpstreamFailure('http_status', `${this.id} refused the request (HTTP ${status})`, status)));
        return;
      }
      exchange.finish('success');
      answer.sendOn(this.res, response);
    });
    response.resume();
  }

  private finish(tail: string | undefined, verdict: Verdict): void {
    this.exchange.finish(verdict);
    this.endClient(tail);
  }

  private endClient(tail: string | undefined): void {
    this.dropUnfinishedFrame();
    this.writer.end(tail);
    this.checkContract(this.observation.finish(true));
  }

  /** An event the upstream began and never ended is not passed on: the client could not parse it. */
  private dropUnfinishedFrame(): void {
    if (this.frames.heldOnlyLineEndings) return;
    const bytes = this.frames.drop();
    this.metrics.partialFramesDropped.inc(this.labels);
    this.log.note('dropped_frame_bytes', bytes);
  }

  private checkContract(figures: StreamFigures): void {
    const violations = contractViolations(figures, this.config);
    for (const kind of violations) this.metrics.contractViolations.inc({ competitor: this.id, kind });
    this.log.note('contract_violations', violations);
  }

  private msSinceStart(): number {
    return performance.now() - this.startedAt;
  }
}

function toThousandths(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
