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

/** Writes one chunk's delta to the stream. */
type Send = (delta: Record<string, unknown>) => void;

/** The tool call a prompt asked for, started in the sandbox pool before the answer. */
interface StartedTool {
  readonly intent: ToolIntent;
  readonly callId: string;
  readonly call: ReturnType<typeof startToolCall>;
}

/** What a completion has settled before it answers: its plan, its tool call if any, the prompt's size. */
interface Turn {
  readonly request: ChatRequest;
  readonly plan: AnswerPlan;
  readonly tool: StartedTool | undefined;
  readonly promptTokens: number;
}

/**
 * The deterministic simulated model: answers from the prompt's plan with the profile's
 * timing, running a tool call in the sandbox pool first when the prompt or the offered
 * tools ask for one.
 */
export function simulatedBackend(options: SimulatedBackendOptions): CompletionBackend {
  return async function completeSimulated(req: Request, res: Response, request: ChatRequest, signal: AbortSignal) {
    const turn = await startTurn(options, request, signal);
    if (request.stream === true) await answerStream(options, turn, req, res, signal);
    else await answerWhole(options, turn, res, signal);
  };
}

/**
 * Plans the answer (failing at once when the plan fails before the first token) and starts the
 * tool call the prompt asks for, answered 503 when no sandbox will take it.
 */
async function startTurn(options: SimulatedBackendOptions, request: ChatRequest, signal: AbortSignal): Promise<Turn> {
  const prompt = promptOf(request);
  const plan = planAnswer(prompt, options.profile);
  if (plan.failBeforeFirstToken !== undefined) {
    await sleep(plan.failBeforeFirstToken.delayMs, undefined, { signal });
    options.metrics.completions.inc({ mode: request.stream === true ? 'stream' : 'json', outcome: 'failed' });
    throw new RequestError(500, plan.failBeforeFirstToken.message, { reason: 'model_failed' });
  }
  const intent = detectToolIntent(prompt, request.tools, request.tool_choice);
  const callId = `call_${randomBytes(8).toString('hex')}`;
  const tool = intent === undefined ? undefined : { intent, callId, call: startToolCall(options.tools, intent, callId, signal) };
  if (tool !== undefined) await refuseWhenNoSandbox(tool.call.firstEvent);
  const promptTokens = request.messages.reduce((sum, message) => sum + (typeof message.content === 'string' ? countTokens(message.content) : 0), 0);
  return { request, plan, tool, promptTokens };
}

/** `stream: false`: the tool's outcome and the whole answer in one `chat.completion`, after the plan's total delay. */
async function answerWhole(options: SimulatedBackendOptions, turn: Turn, res: Response, signal: AbortSignal): Promise<void> {
  const { metrics } = options;
  const { request, plan, tool } = turn;
  const toolText = tool === undefined ? undefined : await toolOutcome(options.obs.logger, tool, () => undefined);
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
          ...(tool === undefined ? {} : { tool_calls: [toolCallDelta(tool.intent, tool.callId)] }),
        },
        finish_reason: 'stop',
      },
    ],
    usage: usageOf(turn.promptTokens, tokens),
  });
}

/**
 * `stream: true`: SSE chunks, the tool call and its sandbox events first, then one token per
 * step at the profile's pace; a failing step ends the stream with an error event.
 */
async function answerStream(options: SimulatedBackendOptions, turn: Turn, req: Request, res: Response, signal: AbortSignal): Promise<void> {
  const { obs, metrics } = options;
  const { request, plan, tool } = turn;
  const { observation, writer } = openSseStream(obs, req, res, options.keepaliveIntervalMs);
  const encode = chunkEncoder(newCompletionIdentity(request.model));
  signal.addEventListener('abort', () => writer.stop(), { once: true });
  const send: Send = (delta) => writer.data(encode.delta(delta));
  send({ role: 'assistant', content: '' });

  try {
    if (tool !== undefined) await streamToolCall(obs.logger, tool, send);
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
    if (request.stream_options?.include_usage === true) writer.data(encode.usage(usageOf(turn.promptTokens, tokens)));
    metrics.completions.inc({ mode: 'stream', outcome: 'completed' });
    writer.done();
  } catch (error) {
    if (!signal.aborted) throw error;
    metrics.completions.inc({ mode: 'stream', outcome: 'client_aborted' });
  }
}

/** The tool call on the stream: announced, its sandbox's events as they come, then its outcome as the first content. */
async function streamToolCall(logger: Observability['logger'], tool: StartedTool, send: Send): Promise<void> {
  const { intent, callId } = tool;
  send({ reasoning_content: `Calling ${intent.tool} in a sandbox.` });
  send({ tool_calls: [{ index: 0, ...toolCallDelta(intent, callId) }] });
  send({ janus: { event: 'tool_start', payload: { tool: intent.tool, call_id: callId, arguments: intent.arguments } } });
  const outcome = await toolOutcome(logger, tool, (event) => announce(send, intent, callId, event));
  send({ content: `${outcome.text} ` });
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

async function toolOutcome(logger: Observability['logger'], tool: StartedTool, onEvent: (event: ToolCallEvent) => void): Promise<ToolOutcome> {
  const { intent, callId } = tool;
  logger.info('tool call started', { target: 'tool', tool: intent.tool, call_id: callId });
  for await (const event of tool.call.events) {
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

function announce(send: Send, intent: ToolIntent, callId: string, event: ToolCallEvent): void {
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
