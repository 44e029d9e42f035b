import { isOpenAiContentEvent } from '../../src/openAiStreamContent';

const chunk = (delta: unknown): { data: string } => ({
  data: JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: null }] }),
});

describe('isOpenAiContentEvent', () => {
  it('counts content, reasoning and tool-call deltas', () => {
    expect(isOpenAiContentEvent(chunk({ content: 'Hello' }))).toBe(true);
    expect(isOpenAiContentEvent(chunk({ reasoning_content: 'Thinking' }))).toBe(true);
    expect(isOpenAiContentEvent(chunk({ content: '"quoted"' }))).toBe(true);
    expect(isOpenAiContentEvent(chunk({ tool_calls: [{ index: 0, id: 'call_1', function: { name: 'calc', arguments: '' } }] }))).toBe(true);
  });

  it('does not count the role chunk, empty deltas, finish chunks, usage or [DONE]', () => {
    expect(isOpenAiContentEvent(chunk({ role: 'assistant', content: '' }))).toBe(false);
    expect(isOpenAiContentEvent(chunk({}))).toBe(false);
    expect(isOpenAiContentEvent(chunk({ janus: { event: 'tool_start', payload: { tool: 'calc' } } }))).toBe(false);
    expect(isOpenAiContentEvent({ data: '{"id":"c","choices":[],"usage":{"prompt_tokens":3}}' })).toBe(false);
    expect(isOpenAiContentEvent({ data: '[DONE]' })).toBe(false);
  });

  it('reads JSON written with spaces after the colons', () => {
    expect(isOpenAiContentEvent({ data: '{"choices": [{"delta": {"content": "Hi"}}]}' })).toBe(true);
    expect(isOpenAiContentEvent({ data: '{"choices": [{"delta": {"content": ""}}]}' })).toBe(false);
  });
});
