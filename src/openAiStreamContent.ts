const CONTENT = /"(?:reasoning_)?content"\s*:\s*"[^"]|"tool_calls"\s*:\s*\[\s*\{/;

/**
 * Whether an OpenAI `chat.completion.chunk` event carries something its reader sees: a
 * non-empty `content` or `reasoning_content` delta, or a tool call. The opening role chunk
 * (`"content":""`), keep-alives and `[DONE]` do not. Read from the raw text without parsing
 * it, so it can run on every event of a stream: `observeStream(req, res, { isContent: isOpenAiContentEvent })`.
 */
export function isOpenAiContentEvent(event: { readonly data: string }): boolean {
  return CONTENT.test(event.data);
}
