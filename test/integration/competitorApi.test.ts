import OpenAI, { APIError } from 'openai';
import { planAnswer } from '../../competitor/model/answerPlan';
import { PROFILES } from '../../competitor/model/profiles';
import { startCompetitor, sseFrames, type RunningCompetitor } from '../support/competitorServer';
import { waitForLines } from '../support/observedApp';

let competitor: RunningCompetitor;
let client: OpenAI;

beforeAll(async () => {
  competitor = await startCompetitor({ COMPETITOR_ID: 'baseline', COMPETITOR_PROFILE: 'fast' });
  client = new OpenAI({ baseURL: `${competitor.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(() => competitor.stop());

const expectedAnswer = (prompt: string): string =>
  planAnswer(prompt, PROFILES.fast)
    .steps.map((step) => (step.kind === 'token' ? step.text : ''))
    .join('');

async function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${competitor.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('competitor API with the official openai client', () => {
  it('lists its model', async () => {
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(['baseline']);
  });

  it('streams the answer the prompt predicts, with usage in a last chunk', async () => {
    const prompt = 'Tell me about streams';
    const stream = await client.chat.completions.create({
      model: 'baseline',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: prompt }],
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(expectedAnswer(prompt));
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ completion_tokens: PROFILES.fast.tokensPerAnswer, total_tokens: expect.any(Number) });
  });

  it('answers one JSON body when not streaming', async () => {
    const prompt = 'A short question';
    const completion = await client.chat.completions.create({ model: 'baseline', messages: [{ role: 'user', content: prompt }] });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]?.message.content).toBe(expectedAnswer(prompt));
    expect(completion.usage?.completion_tokens).toBe(PROFILES.fast.tokensPerAnswer);
  });

  it('measures its own stream: time to first token, gaps and events in the request log line', async () => {
    const res = await post({ model: 'baseline', stream: true, messages: [{ role: 'user', content: 'measure me' }] }, { 'x-request-id': 'comp-measure' });
    const body = await res.text();
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(sseFrames(body).data.at(-1)).toBe('[DONE]');
    const [line] = await waitForLines(competitor.logs, (l) => l.message === 'request completed' && l.request_id === 'comp-measure');
    expect(line).toMatchObject({ competitor_id: 'baseline', outcome: 'completed', status: 200 });
    // The role chunk goes out at once but carries no content: the first token comes after the profile's ttft.
    expect(line?.ttft_ms as number).toBeGreaterThanOrEqual(PROFILES.fast.ttftMs);
    expect(line?.events).toBe(PROFILES.fast.tokensPerAnswer + 3);
  });
});

describe('competitor bad input', () => {
  it.each([
    ['malformed JSON', '{"model": "baseline", "messages": [', 400, null],
    ['missing messages', { model: 'baseline' }, 400, 'messages'],
    ['empty messages', { model: 'baseline', messages: [] }, 400, 'messages'],
    ['a message role of the wrong type', { model: 'baseline', messages: [{ role: 7, content: 'x' }] }, 400, 'messages[0].role'],
    ['stream of the wrong type', { model: 'baseline', stream: 'yes', messages: [{ role: 'user', content: 'x' }] }, 400, 'stream'],
    ['an unknown top-level field', { model: 'baseline', temprature: 1, messages: [{ role: 'user', content: 'x' }] }, 400, 'temprature'],
    ['an unknown field in a message', { model: 'baseline', messages: [{ role: 'user', content: 'x', colour: 'red' }] }, 400, 'messages[0].colour'],
    ['an unknown model', { model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] }, 404, 'model'],
  ])('answers %s with an OpenAI-shaped error and the request id', async (_name, body, status, param) => {
    const res = await post(body as never, { 'x-request-id': 'comp-bad-input' });
    expect(res.status).toBe(status);
    const json = (await res.json()) as { error: Record<string, unknown> };
    expect(json.error).toMatchObject({ param, request_id: 'comp-bad-input', type: expect.any(String), code: expect.any(String) });
    expect(json.error.message).toEqual(expect.any(String));
  });

  it('answers a body over 1 MB with 413 and keeps serving', async () => {
    const res = await post({ model: 'baseline', messages: [{ role: 'user', content: 'x'.repeat(1_100_000) }] });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    const after = await client.chat.completions.create({ model: 'baseline', messages: [{ role: 'user', content: 'still here?' }] });
    expect(after.choices[0]?.message.content).toBe(expectedAnswer('still here?'));
  });

  it('raises the openai client error for a bad request instead of crashing', async () => {
    await expect(client.chat.completions.create({ model: 'baseline', messages: [] })).rejects.toBeInstanceOf(APIError);
  });
});

describe('a client leaving a non-streaming completion', () => {
  it('is logged as client_aborted, not as a failed request', async () => {
    const slow = await startCompetitor({ COMPETITOR_ID: 'baseline', COMPETITOR_PROFILE: 'slow' });
    try {
      const leaving = new AbortController();
      const pending = fetch(`${slow.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'leaves-json' },
        body: JSON.stringify({ model: 'baseline', messages: [{ role: 'user', content: 'Tell me a long story' }] }),
        signal: leaving.signal,
      }).catch(() => undefined);
      await waitForLines(slow.logs, (l) => l.message === 'request started' && l.request_id === 'leaves-json');
      leaving.abort();
      await pending;
      const [line] = await waitForLines(slow.logs, (l) => l.message === 'request completed' && l.request_id === 'leaves-json');
      expect(line).toMatchObject({ outcome: 'client_aborted' });
      expect(slow.logs.lines.filter((l) => l.request_id === 'leaves-json' && l.level === 'error')).toEqual([]);
    } finally {
      await slow.stop();
    }
  });
});
