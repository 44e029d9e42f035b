import { randomBytes } from 'node:crypto';

export interface CompletionIdentity {
  readonly id: string;
  readonly created: number;
  readonly model: string;
}

export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

export function newCompletionIdentity(model: string): CompletionIdentity {
  return { id: `chatcmpl-${randomBytes(12).toString('hex')}`, created: Math.floor(Date.now() / 1000), model };
}

/**
 * Serialises the `chat.completion.chunk`s of one completion. The part that never changes
 * is encoded once, so each token costs one small `JSON.stringify` of its delta.
 */
export function chunkEncoder(identity: CompletionIdentity): {
  delta(delta: Readonly<Record<string, unknown>>, finishReason?: string | null): string;
  usage(usage: Usage): string;
} {
  const head = `{"id":${JSON.stringify(identity.id)},"object":"chat.completion.chunk","created":${identity.created},"model":${JSON.stringify(identity.model)}`;
  return {
    delta: (delta, finishReason = null) =>
      `${head},"choices":[{"index":0,"delta":${JSON.stringify(delta)},"finish_reason":${JSON.stringify(finishReason)}}]}`,
    usage: (usage) => `${head},"choices":[],"usage":${JSON.stringify(usage)}}`,
  };
}

/** Rough token count of a text: its words. Good enough for `usage` of a simulated model. */
export function countTokens(text: string): number {
  const words = text.trim().split(/\s+/);
  return words[0] === '' ? 0 : words.length;
}

export function usageOf(promptTokens: number, completionTokens: number): Usage {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}
