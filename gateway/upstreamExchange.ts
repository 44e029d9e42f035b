import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Observability, RequestError } from '../middleware';
import type { Competitor } from './competitors';
import type { GatewayConfig } from './config';
import type { GatewayMetrics, UPSTREAM_ABORT_REASONS } from './gatewayMetrics';
import { unrefTimer } from './unrefTimer';
import type { UpstreamCallLog } from './upstreamCallLog';
import { callUpstream, requestErrorOf, UpstreamFailure, type UpstreamCall, type UpstreamOutcome, type Verdict } from './upstreamRequest';

/**
 * Where an exchange is: waiting for the competitor's response headers, receiving its body
 * (paused while the client catches up), or over, its outcome settled.
 */
export type UpstreamExchangeState = 'connecting' | 'receiving' | 'paused' | 'finished';

/** Why the gateway cut its own call short, as `gateway_upstream_aborts_total` counts it. */
export type AbortReason = (typeof UPSTREAM_ABORT_REASONS)[number];

/**
 * What the competitor is asked for. A stream's idle timeout runs from the connection and its
 * first-token timeout until its first content; a JSON answer is computed in silence, so its
 * first-token timeout runs until the response headers and its idle timeout only after them.
 */
export type ExchangeMode = 'stream' | 'json';

/** How a path (streaming or JSON) takes part in the exchange. */
export interface UpstreamExchangeHandler {
  /** The competitor's response headers arrived. */
  answered(response: IncomingMessage): void;
  /** A failure, counted, before it joins the request's fields: a line logged here does not repeat them. */
  failing?(failure: UpstreamFailure): void;
  /** After a failure finished the exchange: ends what the client was sent, if anything. */
  failed?(failure: UpstreamFailure): void;
  /** The client's response closed; `leftFirst` when the client left before the exchange finished. */
  responseClosed?(leftFirst: boolean): void;
}

export interface UpstreamExchangeDeps {
  readonly obs: Observability;
  readonly config: GatewayConfig;
  readonly metrics: GatewayMetrics;
  readonly log: UpstreamCallLog;
}

/** `<competitor> <phrase> within <ms> ms`, for the total and first-token deadlines. */
const DEADLINE_PHRASES: Readonly<Record<ExchangeMode, { readonly total: string; readonly firstToken: string }>> = {
  stream: { total: 'did not finish', firstToken: 'sent no content' },
  json: { total: 'did not answer', firstToken: 'did not start its answer' },
};

/**
 * One call to a competitor on behalf of one client request: the call itself, its total,
 * first-token and idle deadlines, failures counted and noted on the request, the call aborted
 * when the client leaves, and one outcome for the competitor's circuit, settled once.
 */
export class UpstreamExchange {
  private state: UpstreamExchangeState = 'connecting';
  private response: IncomingMessage | undefined;
  private readonly outcome: Promise<UpstreamOutcome>;
  private settle: (outcome: UpstreamOutcome) => void = () => undefined;
  private call: UpstreamCall | undefined;
  private totalTimer: NodeJS.Timeout | undefined;
  private firstTokenTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly res: ServerResponse;
  private readonly competitor: Competitor;
  private readonly mode: ExchangeMode;
  private readonly deps: UpstreamExchangeDeps;
  private readonly handler: UpstreamExchangeHandler;

  constructor(res: ServerResponse, competitor: Competitor, mode: ExchangeMode, deps: UpstreamExchangeDeps, handler: UpstreamExchangeHandler) {
    this.res = res;
    this.competitor = competitor;
    this.mode = mode;
    this.deps = deps;
    this.handler = handler;
    this.outcome = new Promise<UpstreamOutcome>((resolve) => {
      this.settle = resolve;
    });
  }

  /** Sends the body to the competitor and starts the deadlines; returns the outcome. */
  start(body: Buffer): Promise<UpstreamOutcome> {
    const { obs, config } = this.deps;
    const phrases = DEADLINE_PHRASES[this.mode];
    this.totalTimer = unrefTimer(() => this.fail(this.deadlineFailure('total', phrases.total, config.totalTimeoutMs)), config.totalTimeoutMs);
    this.firstTokenTimer = unrefTimer(
      () => this.fail(this.deadlineFailure('first_token', phrases.firstToken, config.firstTokenTimeoutMs)),
      config.firstTokenTimeoutMs,
    );
    // Ahead of sightline's own `close` listener, so what is noted here reaches the request's log line.
    this.res.prependListener('close', this.onResponseClose);
    this.call = callUpstream(
      this.competitor,
      {
        path: this.competitor.completionsPath,
        body,
        stream: this.mode === 'stream',
        headers: obs.outgoingHeaders(),
        connectTimeoutMs: config.connectTimeoutMs,
      },
      { onConnected: this.onConnected, onResponse: this.onResponse, onError: this.onError },
    );
    return this.outcome;
  }

  /** Whether the outcome is settled: nothing the competitor sends matters any more. */
  get finished(): boolean {
    return this.state === 'finished';
  }

  /** Whether the competitor sent all of its response. */
  get responseComplete(): boolean {
    return this.response?.complete ?? false;
  }

  /** The competitor sent bytes: it is not idle. */
  receivedData(): void {
    this.idleTimer?.refresh();
  }

  /** The stream's first content arrived: the first-token deadline is met. */
  contentArrived(): void {
    clearTimeout(this.firstTokenTimer);
  }

  /** Holds the response back while the client catches up; a paused competitor is not idle. */
  pause(): void {
    if (this.state !== 'receiving') return;
    this.state = 'paused';
    this.response?.pause();
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.state = 'receiving';
    this.idleTimer?.refresh();
    this.response?.resume();
  }

  /**
   * Ends the exchange as failed (a deadline, the connection, or an answer the path found
   * wrong): counted against the competitor, noted on the request, the call aborted. When the
   * client was sent nothing yet, the outcome carries the error to answer it with.
   */
  fail(failure: UpstreamFailure): void {
    if (this.state === 'finished') return;
    const { metrics, log } = this.deps;
    metrics.upstreamFailures.inc({ competitor: this.competitor.id, reason: failure.reason });
    this.handler.failing?.(failure);
    log.note('upstream_error', failure.message);
    if (failure.upstreamStatus !== undefined) log.note('upstream_status', failure.upstreamStatus);
    this.finish('failure', this.res.headersSent ? undefined : requestErrorOf(failure));
    this.handler.failed?.(failure);
    this.abort(failure.outcome === 'timeout' ? 'timeout' : undefined);
  }

  /** Settles the outcome, with the error to answer when the client was sent nothing, and stops the deadlines; later calls do nothing. */
  finish(verdict: Verdict, error?: RequestError): void {
    if (this.state === 'finished') return;
    this.state = 'finished';
    clearTimeout(this.totalTimer);
    clearTimeout(this.firstTokenTimer);
    clearTimeout(this.idleTimer);
    this.settle({ verdict, error });
  }

  /** Destroys the call; counted by `reason` unless the competitor had already sent all of its response. */
  abort(reason: AbortReason | undefined): void {
    const call = this.call;
    if (call === undefined || call.aborted) return;
    if (reason !== undefined && !this.responseComplete) {
      this.deps.metrics.upstreamAborts.inc({ competitor: this.competitor.id, reason });
    }
    call.abort();
  }

  private deadlineFailure(reason: 'total' | 'first_token', phrase: string, ms: number): UpstreamFailure {
    return new UpstreamFailure(reason, `${this.competitor.id} ${phrase} within ${ms} ms`);
  }

  private armIdle(): void {
    if (this.state === 'finished') return;
    if (this.idleTimer === undefined) this.idleTimer = unrefTimer(this.onIdle, this.deps.config.idleTimeoutMs);
    else this.idleTimer.refresh();
  }

  private readonly onConnected = (): void => {
    if (this.mode === 'stream') this.armIdle();
  };

  private readonly onResponse = (response: IncomingMessage): void => {
    if (this.state === 'finished') {
      response.destroy();
      return;
    }
    this.response = response;
    this.state = 'receiving';
    if (this.mode === 'json') clearTimeout(this.firstTokenTimer);
    this.armIdle();
    response.on('error', ignore);
    this.handler.answered(response);
  };

  private readonly onError = (failure: UpstreamFailure): void => this.fail(failure);

  private readonly onIdle = (): void => {
    // A paused response is silent because the client is slow; that is the slow-client timer's business.
    if (this.state === 'paused') {
      this.idleTimer?.refresh();
      return;
    }
    this.fail(new UpstreamFailure('idle', `${this.competitor.id} sent nothing for ${this.deps.config.idleTimeoutMs} ms`));
  };

  private readonly onResponseClose = (): void => {
    const leftFirst = this.state !== 'finished';
    if (leftFirst) {
      this.finish(this.response === undefined ? 'inconclusive' : 'success');
      this.abort('client_closed');
    }
    this.handler.responseClosed?.(leftFirst);
  };
}

function ignore(): void {}
