import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Observability } from '../middleware';
import type { Competitor } from './competitors';
import type { GatewayConfig } from './config';
import type { GatewayMetrics } from './gatewayMetrics';
import { unrefTimer } from './unrefTimer';
import { upstreamCallLog } from './upstreamCallLog';
import { callUpstream, requestErrorOf, UpstreamFailure, type UpstreamOutcome } from './upstreamRequest';

export interface JsonForwardDeps {
  readonly obs: Observability;
  readonly config: GatewayConfig;
  readonly metrics: GatewayMetrics;
}

/** A non-streaming answer is held whole before it is sent on; beyond this it is refused. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/**
 * Forwards a non-streaming completion and answers the competitor's JSON: 2xx and 4xx pass
 * through with their status; 5xx, other statuses and failures become 502, timeouts 504.
 * The competitor is silent while it computes, so the first-token timeout runs until its
 * response headers, and the idle timeout only after them.
 */
export function forwardCompletion(
  res: ServerResponse,
  competitor: Competitor,
  body: Buffer,
  deps: JsonForwardDeps,
): Promise<UpstreamOutcome> {
  const { obs, config, metrics } = deps;
  const id = competitor.id;
  const { note } = upstreamCallLog(obs);
  let done = false;
  let answered = false;
  let idleTimer: NodeJS.Timeout | undefined;
  let settle: (outcome: UpstreamOutcome) => void = () => undefined;
  const outcome = new Promise<UpstreamOutcome>((resolve) => {
    settle = resolve;
  });
  const totalTimer = unrefTimer(() => fail(new UpstreamFailure('total', `${id} did not answer within ${config.totalTimeoutMs} ms`)), config.totalTimeoutMs);
  const headersTimer = unrefTimer(
    () => fail(new UpstreamFailure('first_token', `${id} did not start its answer within ${config.firstTokenTimeoutMs} ms`)),
    config.firstTokenTimeoutMs,
  );
  res.prependListener('close', onResponseClose);

  const call = callUpstream(
    competitor,
    {
      path: competitor.completionsPath,
      body,
      stream: false,
      headers: obs.outgoingHeaders(),
      connectTimeoutMs: config.connectTimeoutMs,
    },
    { onConnected: () => undefined, onResponse, onError: fail },
  );
  return outcome;

  function onResponse(response: IncomingMessage): void {
    if (done) {
      response.destroy();
      return;
    }
    answered = true;
    clearTimeout(headersTimer);
    idleTimer = unrefTimer(() => fail(new UpstreamFailure('idle', `${id} sent nothing for ${config.idleTimeoutMs} ms`)), config.idleTimeoutMs);
    const status = response.statusCode ?? 0;
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('error', () => undefined);
    response.on('data', (chunk: Buffer) => {
      idleTimer?.refresh();
      size += chunk.byteLength;
      if (size > MAX_ANSWER_BYTES) {
        fail(new UpstreamFailure('http_status', `${id} answered more than ${MAX_ANSWER_BYTES} bytes`, status));
        return;
      }
      chunks.push(chunk);
    });
    response.on('close', () => {
      if (done) return;
      if (!response.complete) {
        fail(new UpstreamFailure('interrupted', `${id} closed its answer before it ended`));
        return;
      }
      note('upstream_status', status);
      if (!((status >= 200 && status < 300) || (status >= 400 && status < 500))) {
        fail(new UpstreamFailure('http_status', `${id} answered HTTP ${status}`, status));
        return;
      }
      done = true;
      cleanup();
      res.statusCode = status;
      res.setHeader('content-type', response.headers['content-type'] ?? 'application/json');
      res.end(Buffer.concat(chunks, size));
      settle({ verdict: 'success', error: undefined });
    });
  }

  function fail(failure: UpstreamFailure): void {
    if (done) return;
    done = true;
    cleanup();
    metrics.upstreamFailures.inc({ competitor: id, reason: failure.reason });
    note('upstream_error', failure.message);
    if (failure.upstreamStatus !== undefined) note('upstream_status', failure.upstreamStatus);
    if (failure.outcome === 'timeout') metrics.upstreamAborts.inc({ competitor: id, reason: 'timeout' });
    call.abort();
    settle({ verdict: 'failure', error: requestErrorOf(failure) });
  }

  function onResponseClose(): void {
    if (done) return;
    done = true;
    cleanup();
    metrics.upstreamAborts.inc({ competitor: id, reason: 'client_closed' });
    call.abort();
    settle({ verdict: answered ? 'success' : 'inconclusive', error: undefined });
  }

  function cleanup(): void {
    clearTimeout(totalTimer);
    clearTimeout(headersTimer);
    clearTimeout(idleTimer);
  }
}
