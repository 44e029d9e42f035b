import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Request, Response } from 'express';
import { RequestError, type Observability } from '../middleware';
import { promptOf, type ChatRequest } from './chatRequest';
import { chunkEncoder, countTokens, newCompletionIdentity, usageOf } from './chunks';
import type { CompletionBackend } from './completionBackend';
import type { CompetitorMetricSet } from './competitorMetricSet';
import { planAnswer, type AnswerPlan } from './model/answerPlan';
import type { ModelProfile } from './model/profiles';
import { detectToolIntent, type ToolIntent } from './model/toolIntent';
import { openSseStream } from './sseWriter';
import { startToolCall, type ToolCallEvent, type ToolRunner } from './toolCallRun';

export interface SimulatedBackendOptions {
  readonly obs: Observability;
  readonly profile: ModelProfile;
  readonly tools: ToolRunner;
  readonly keepaliveIntervalMs: number;
  readonly metrics: CompetitorMetricSet;
}

/** Pool errors that mean no sandbox will take the call: answered 503 before any stream starts. */
const REFUSALS = new Set(['saturated', 'pool_crashed']);

interface ToolOutcome {
  readonly text: string;
}

/**
 * The deterministic simulated model: answers from the prompt's plan with the profile's
 * timing, running a tool call in the sandbox pool first when the prompt or the offered
 * tools ask for one.
 */
export function simulatedBackend(options: SimulatedBackendOptions): CompletionBackend {
  const { obs, profile, tools, keepaliveIntervalMs, metrics } = options;

  return async function completeSimulated(req: Request, res: Response, request: ChatRequest, signal: AbortSignal) {
    const prompt = promptOf(request);
    const plan = planAnswer(prompt, profile);
    if (plan.failBeforeFirstToken !== undefined) {
      await sleep(plan.failBeforeFirstToken.delayMs, undefined, { signal });
      metrics.completions.inc({ mode: request.stream === true ? 'stream' : 'json', outcome: 'failed' });
      throw new RequestError(500, plan.failBeforeFirstToken.message, { reason: 'model_failed' });
    }
    const intent = detectToolIntent(prompt, request.tools, request.tool_choice);
    const callId = `call_${randomBytes(8).toString('hex')}`;
    const toolCall = intent === undefined ? undefined : startToolCall(tools, intent, callId, signal);
    if (toolCall !== undefined) await refuseWhenNoSandbox(toolCall.firstEvent);
    const promptTokens = request.messages.reduce((sum, message) => sum + (typeof message.content === 'string' ? countTokens(message.content) : 0), 0);

    if (request.stream !== true) {
      const toolText = toolCall === undefined || intent === undefined ? undefined : await toolOutcome(obs.logger, intent, callId, toolCall.events, () => undefined);
      await sleep(totalDelay(plan), undefined, { signal });
      const failure = plan.steps.find((step) => step.kind === 'fail');
      if (failure !== undefined) {
        metrics.completions.inc({ mode: 'json', outcome: 'failed' });
        throw new RequestError(500, failure.message, { reason: 'model_failed' });
      }
      const answer = plan.steps.map((step) => (step.kind === 'token' ? step.text : '')).join('');
      const tokens = plan.steps.length;
      metrics.tokens.inc(tokens);
      metrics.completions.inc({ mode: 'json', outcome: 'completed' });
      const identity = newCompletionIdentity(request.model);
      res.json({
        id: identity.id,
        object: 'chat.completion',
        created: identity.created,
        model: identity.model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: toolText === undefined ? answer : `${toolText.text} ${answer}`,
              ...(intent === undefined ? {} : { tool_calls: [toolCallDelta(intent, callId)] }),
            },
            finish_reason: 'stop',
          },
        ],
        usage: usageOf(promptTokens, tokens),
      });
      return;
    }

    const { observation, writer } = openSseStream(obs, req, res, keepaliveIntervalMs);
    const identity = newCompletionIdentity(request.model);
    const encode = chunkEncoder(identity);
    signal.addEventListener('abort', () => writer.stop(), { once: true });
    const send = (delta: Record<string, unknown>): void => writer.data(encode.delta(delta));
    send({ role: 'assistant', content: '' });

    try {
      if (toolCall !== undefined && intent !== undefined) {
        send({ reasoning_content: `Calling ${intent.tool} in a sandbox.` });
        send({ tool_calls: [{ index: 0, ...toolCallDelta(intent, callId) }] });
        send({ janus: { event: 'tool_start', payload: { tool: intent.tool, call_id: callId, arguments: intent.arguments } } });
        const outcome = await toolOutcome(obs.logger, intent, callId, toolCall.events, (event) => announce(send, intent, callId, event));
        send({ content: `${outcome.text} ` });
      }
      let tokens = 0;
      for (const step of plan.steps) {
        await sleep(step.delayMs, undefined, { signal });
        if (step.kind === 'fail') {
          observation.fail('upstream_error', 'model_failed');
          metrics.completions.inc({ mode: 'stream', outcome: 'failed' });
          obs.logger.warn('model failed mid-stream', { target: 'model', tokens_sent: tokens });
          writer.fail({ message: step.message, type: 'server_error', param: null, code: 'model_failed', request_id: obs.context.get()?.requestId });
          return;
        }
        send({ content: step.text });
        tokens += 1;
        metrics.tokens.inc();
      }
      writer.data(encode.delta({}, 'stop'));
      if (request.stream_options?.include_usage === true) writer.data(encode.usage(usageOf(promptTokens, tokens)));
      metrics.completions.inc({ mode: 'stream', outcome: 'completed' });
      writer.done();
    } catch (error) {
      if (!signal.aborted) throw error;
      metrics.completions.inc({ mode: 'stream', outcome: 'client_aborted' });
    }
  };
}

/** Waits a tick for the pool to refuse the call (full queue, crashed pool) so it can be answered 503. */
async function refuseWhenNoSandbox(firstEvent: () => ToolCallEvent | undefined): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  const event = firstEvent();
  if (event?.type !== 'error') return;
  const type = errorTypeOf(event.error);
  if (!REFUSALS.has(type)) return;
  const retryAfterS = (event.error as { retryAfterS?: unknown }).retryAfterS;
  throw new RequestError(503, messageOf(event.error), {
    reason: type === 'saturated' ? 'sandbox_saturated' : 'sandbox_pool_crashed',
    retryAfterS: typeof retryAfterS === 'number' ? retryAfterS : 1,
  });
}

async function toolOutcome(
  logger: Observability['logger'],
  intent: ToolIntent,
  callId: string,
  events: AsyncIterable<ToolCallEvent>,
  onEvent: (event: ToolCallEvent) => void,
): Promise<ToolOutcome> {
  logger.info('tool call started', { target: 'tool', tool: intent.tool, call_id: callId });
  for await (const event of events) {
    onEvent(event);
    if (event.type === 'sandbox_start') {
      logger.info('sandbox started', { target: 'sandbox', tool: intent.tool, call_id: callId, pid: event.pid, spawn_ms: round(event.spawnMs) });
    } else if (event.type === 'result') {
      logger.info('tool call finished', { target: 'tool', tool: intent.tool, call_id: callId, outcome: 'ok', duration_ms: round(event.durationMs), pid: event.pid });
      return { text: describeResult(intent.tool, event.output) };
    } else if (event.type === 'error') {
      const outcome = errorTypeOf(event.error);
      logger.warn('tool call failed', { target: 'tool', tool: intent.tool, call_id: callId, outcome, duration_ms: round(event.durationMs), error: messageOf(event.error) });
      return { text: `The ${intent.tool} tool failed: ${messageOf(event.error)}.` };
    }
  }
  return { text: `The ${intent.tool} tool gave no answer.` };
}

function announce(send: (delta: Record<string, unknown>) => void, intent: ToolIntent, callId: string, event: ToolCallEvent): void {
  const janus = (name: string, payload: Record<string, unknown>): void => send({ janus: { event: name, payload } });
  switch (event.type) {
    case 'sandbox_start':
      janus('sandbox_start', { call_id: callId, pid: event.pid, spawn_ms: round(event.spawnMs) });
      return;
    case 'progress':
      send({ reasoning_content: event.message });
      return;
    case 'result':
      janus('sandbox_end', { call_id: callId, pid: event.pid, duration_ms: round(event.durationMs), ok: true });
      janus('tool_end', { tool: intent.tool, call_id: callId, outcome: 'ok', duration_ms: round(event.durationMs) });
      return;
    case 'error': {
      const type = errorTypeOf(event.error);
      janus('sandbox_end', { call_id: callId, duration_ms: round(event.durationMs), ok: false, error_type: type });
      janus('tool_end', { tool: intent.tool, call_id: callId, outcome: type, duration_ms: round(event.durationMs) });
    }
  }
}

function toolCallDelta(intent: ToolIntent, callId: string): Record<string, unknown> {
  return { id: callId, type: 'function', function: { name: intent.tool, arguments: JSON.stringify(intent.arguments) } };
}

function describeResult(tool: string, output: unknown): string {
  if (tool === 'echo' && typeof output === 'string') return `The echo tool returned "${output}".`;
  if (tool === 'sleep') return `The sleep tool finished: ${JSON.stringify(output)}.`;
  return `The ${tool} tool returned ${JSON.stringify(output)}.`;
}

function totalDelay(plan: AnswerPlan): number {
  return plan.steps.reduce((sum, step) => sum + step.delayMs, 0);
}

function errorTypeOf(error: unknown): string {
  const type = (error as { type?: unknown } | undefined)?.type;
  return typeof type === 'string' ? type : 'internal';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
