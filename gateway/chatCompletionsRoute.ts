import { SpanStatusCode } from '@opentelemetry/api';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { openAiParamName, RequestError, type Observability } from '../middleware';
import type { CircuitBreakers } from './circuitBreakers';
import type { Competitors } from './competitors';
import type { GatewayConfig } from './config';
import type { GatewayMetrics } from './gatewayMetrics';
import { readJsonBody } from './jsonBody';
import { forwardCompletion } from './jsonForward';
import { relayStream } from './streamRelay';

export interface ChatCompletionsDeps {
  readonly obs: Observability;
  readonly config: GatewayConfig;
  readonly metrics: GatewayMetrics;
  readonly competitors: Competitors;
  readonly circuits: CircuitBreakers;
}

/** Requests over this answer 413 (sightline's error handler, in OpenAI's shape). */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** Only what routing needs; everything else is the competitor's to judge. */
const chatRequest = z.looseObject({
  model: z.string({ error: 'expected a string' }).min(1, { error: 'must not be empty' }).max(256, { error: 'must be at most 256 characters' }),
  messages: z
    .array(
      z.looseObject({
        role: z.string({ error: 'expected a string' }).min(1, { error: 'must not be empty' }),
      }),
      { error: 'expected an array of messages' },
    )
    .min(1, { error: 'must contain at least one message' }),
  stream: z.boolean({ error: 'expected true or false' }).nullish(),
});

/** `POST /v1/chat/completions`, routed by `model` to a competitor through its circuit. */
export function chatCompletionsRoute(deps: ChatCompletionsDeps): Router {
  const { obs, competitors, circuits } = deps;
  const router = Router();
  router.post(
    '/v1/chat/completions',
    async function chatCompletions(req: Request, res: Response) {
      const { value, raw: body } = await readJsonBody(req, MAX_REQUEST_BYTES);
      const { model, stream } = parseRequest(value);
      const competitor = competitors.get(model);
      const circuit = competitor === undefined ? undefined : circuits.get(competitor.id);
      if (competitor === undefined || circuit === undefined) {
        throw new RequestError(404, `The model ${JSON.stringify(model.slice(0, 64))} does not exist`, {
          param: 'model',
          reason: 'model_not_found',
        });
      }
      obs.context.set('competitor_id', competitor.id);
      // The upstream call runs inside this span, so the competitor's spans hang under it.
      const outcome = await obs.tracer.startActiveSpan(
        'gateway.route',
        { attributes: { 'gateway.competitor': competitor.id, 'gateway.stream': stream === true } },
        async (span) => {
          try {
            const result = await circuit.run((working) =>
              stream === true ? relayStream(req, res, competitor, body, deps, working) : forwardCompletion(res, competitor, body, deps),
            );
            if (result.error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: result.error.message });
            return result;
          } finally {
            span.end();
          }
        },
      );
      if (outcome.error !== undefined) throw outcome.error;
    },
  );
  return router;
}

function parseRequest(body: unknown): z.infer<typeof chatRequest> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RequestError(400, 'The request body must be a JSON object (Content-Type: application/json)', {
      reason: 'invalid_request_body',
    });
  }
  const parsed = chatRequest.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0] as z.core.$ZodIssue;
  const param = openAiParamName(issue.path) ?? '';
  const missing = issue.code === 'invalid_type' && valueAt(body, issue.path) === undefined;
  if (missing) {
    throw new RequestError(400, `Missing required parameter: '${param}'`, { param, reason: 'missing_required_parameter' });
  }
  throw new RequestError(400, `Invalid value for '${param}': ${issue.message}`, { param, reason: 'invalid_value' });
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
