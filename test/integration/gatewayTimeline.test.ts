import { sse } from '../support/fakeCompetitor';
import { gatewayOnFakeCompetitor, post, chatBody } from '../support/gatewayHarness';

const TOKEN = 'gateway-timeline-admin-token';

describe('gateway: a request timeline for operators', () => {
  const { fake, gateway } = gatewayOnFakeCompetitor();

  it('answers the timeline of one stream: arrival, upstream call, first token, tool events, a gap over the contract, completion', async () => {
    const running = await gateway({ contractGapMs: 150, keepaliveIntervalMs: 1000, observability: { adminToken: TOKEN } });
    fake().script(
      sse([
        'role',
        { content: 'Hello' },
        { janus: { event: 'tool_start', payload: { tool: 'calc' } } },
        { wait: 250 },
        { content: ' world' },
        { finish: 'stop' },
        'done',
      ]),
    );
    await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }), { 'x-request-id': 'timeline-stream' });
    const res = await fetch(`${running.url}/ops/requests/timeline-stream`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { lines: { message: string; elapsed_ms: number; gap_ms?: number; janus_event?: string }[] };
    const messages = body.lines.map((line) => line.message);
    expect(messages).toEqual([
      'request started',
      'upstream call started',
      'upstream answered',
      'first token',
      'stream event',
      'gap over contract',
      'request completed',
    ]);
    expect(body.lines.find((line) => line.message === 'stream event')?.janus_event).toBe('tool_start');
    expect(body.lines.find((line) => line.message === 'gap over contract')?.gap_ms).toBeGreaterThanOrEqual(200);
  });
});
