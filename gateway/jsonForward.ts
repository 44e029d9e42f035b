import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Observability } from '../middleware';
import type { Competitor } from './competitors';
import type { GatewayConfig } from './config';
import type { GatewayMetrics } from './gatewayMetrics';
import { HeldAnswer } from './heldAnswer';
import { upstreamCallLog } from './upstreamCallLog';
import { UpstreamExchange } from './upstreamExchange';
import { UpstreamFailure, type UpstreamOutcome } from './upstreamRequest';

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
  const id = competitor.id;
  const log = upstreamCallLog(deps.obs);
  const exchange = new UpstreamExchange(res, competitor, 'json', { ...deps, log }, { answered });
  return exchange.start(body);

  function answered(response: IncomingMessage): void {
    const status = response.statusCode ?? 0;
    const answer = new HeldAnswer(MAX_ANSWER_BYTES);
    response.on('data', (chunk: Buffer) => {
      exchange.receivedData();
      if (!answer.add(chunk)) exchange.fail(new UpstreamFailure('http_status', `${id} answered more than ${MAX_ANSWER_BYTES} bytes`, status));
    });
    response.on('close', () => {
      if (exchange.finished) return;
      if (!response.complete) {
        exchange.fail(new UpstreamFailure('interrupted', `${id} closed its answer before it ended`));
        return;
      }
      log.note('upstream_status', status);
      if (!((status >= 200 && status < 300) || (status >= 400 && status < 500))) {
        exchange.fail(new UpstreamFailure('http_status', `${id} answered HTTP ${status}`, status));
        return;
      }
      exchange.finish('success');
      answer.sendOn(res, response);
    });
  }
}
