import { z } from 'zod';
import { openAiParamName } from '../middleware';

const text = z.string().max(1_000_000);

const contentPart = z
  .object({ type: z.string(), text: z.string().optional() })
  .passthrough();

const message = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
    content: z.union([text, z.array(contentPart), z.null()]).optional(),
    name: z.string().max(256).optional(),
    tool_call_id: z.string().max(256).optional(),
    tool_calls: z.array(z.unknown()).optional(),
    reasoning_content: z.string().optional(),
  })
  .strict();

const tool = z
  .object({
    type: z.literal('function'),
    function: z
      .object({
        name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -'),
        description: z.string().optional(),
        parameters: z.record(z.string(), z.unknown()).optional(),
        strict: z.boolean().nullable().optional(),
      })
      .strict(),
  })
  .strict();

/**
 * An OpenAI chat-completions request. The top level accepts OpenAI's documented parameters
 * and refuses others (a typo should not be silently ignored); messages and tools are strict.
 */
export const chatRequestSchema = z
  .object({
    model: z.string().min(1).max(256),
    messages: z.array(message).min(1, 'must contain at least one message'),
    stream: z.boolean().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).strict().nullable().optional(),
    tools: z.array(tool).max(128).optional(),
    tool_choice: z.unknown().optional(),
    parallel_tool_calls: z.boolean().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().min(0).max(1).nullable().optional(),
    n: z.literal(1).nullable().optional(),
    max_tokens: z.number().int().positive().nullable().optional(),
    max_completion_tokens: z.number().int().positive().nullable().optional(),
    stop: z.union([z.string(), z.array(z.string()).max(4)]).nullable().optional(),
    presence_penalty: z.number().min(-2).max(2).nullable().optional(),
    frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
    logit_bias: z.record(z.string(), z.number()).nullable().optional(),
    logprobs: z.boolean().nullable().optional(),
    top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
    response_format: z.unknown().optional(),
    seed: z.number().int().nullable().optional(),
    user: z.string().max(256).optional(),
    metadata: z.record(z.string(), z.string()).nullable().optional(),
    store: z.boolean().nullable().optional(),
    reasoning_effort: z.string().nullable().optional(),
    service_tier: z.string().nullable().optional(),
  })
  .strict();

export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type ChatMessage = ChatRequest['messages'][number];
export type ChatTool = NonNullable<ChatRequest['tools']>[number];

export interface RequestProblem {
  readonly message: string;
  /** The field at fault, as OpenAI names it (`messages[0].role`). */
  readonly param: string | undefined;
}

/** The first problem of a request body that failed the schema, worded for the client. */
export function describeProblem(error: z.ZodError): RequestProblem {
  const issue = error.issues[0];
  if (issue === undefined) return { message: 'Invalid request body', param: undefined };
  if (issue.code === 'unrecognized_keys') {
    const base = openAiParamName(issue.path);
    const keys = issue.keys.map((key) => (base === undefined ? key : `${base}.${key}`));
    return { message: `Unrecognized request argument: ${keys.join(', ')}`, param: keys[0] };
  }
  const param = openAiParamName(issue.path);
  return { message: param === undefined ? issue.message : `${param}: ${issue.message}`, param };
}

/** The text of the last user message: what the simulated model answers. */
export function promptOf(request: ChatRequest): string {
  for (let index = request.messages.length - 1; index >= 0; index -= 1) {
    const candidate = request.messages[index];
    if (candidate?.role !== 'user') continue;
    const { content } = candidate;
    if (typeof content === 'string') return content;
    if (Array.isArray(content)) return content.map((part) => part.text ?? '').join(' ');
  }
  return '';
}
