import { createContext, Script } from 'node:vm';
import express from 'express';
import request from 'supertest';
import { uiRoutes } from '../../gateway/ui/uiRoutes';

function app() {
  const server = express();
  server.use(uiRoutes());
  return server;
}

/** Just enough of a DOM element for the race script: properties, children and listeners. */
class FakeNode {
  textContent: string | null = '';
  className = '';
  type = '';
  name = '';
  value = '';
  checked = false;
  readonly dataset: Record<string, string | undefined> = {};
  readonly children: (FakeNode | string)[] = [];
  readonly listeners = new Map<string, (event: { preventDefault(): void }) => void>();

  constructor(readonly tag: string) {}

  append(...nodes: (FakeNode | string)[]): void {
    this.children.push(...nodes);
  }

  replaceChildren(...nodes: FakeNode[]): void {
    this.children.splice(0, this.children.length, ...nodes);
  }

  /** Only the script's one query, `input[name=competitor]:checked`. */
  querySelectorAll(selector: string): FakeNode[] {
    expect(selector).toBe('input[name=competitor]:checked');
    return this.descendants().filter((node) => node.tag === 'input' && node.name === 'competitor' && node.checked);
  }

  addEventListener(type: string, listener: (event: { preventDefault(): void }) => void): void {
    this.listeners.set(type, listener);
  }

  descendants(): FakeNode[] {
    return this.children.flatMap((child) => (typeof child === 'string' ? [] : [child, ...child.descendants()]));
  }

  find(className: string): FakeNode {
    const found = this.descendants().find((node) => node.className.split(' ').includes(className));
    if (found === undefined) throw new Error(`no .${className} in <${this.tag}>`);
    return found;
  }
}

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 5000) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('gateway UI routes', () => {
  it('serves the race page under a content security policy that allows only its own resources', async () => {
    const res = await request(app()).get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.text).toContain('<script src="/ui/race.js"></script>');
    expect(res.text).not.toMatch(/<script>[^<]/);
    for (const link of ['/ops/dashboard', '/health/detailed', '/metrics']) expect(res.text).toContain(`href="${link}"`);
    expect(res.text).not.toMatch(/https?:\/\//);
  });

  it('serves a script that parses as one self-contained program, and the styles', async () => {
    const script = await request(app()).get('/ui/race.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/^application\/javascript/);
    expect(() => new Script(script.text)).not.toThrow();
    expect(script.text).not.toMatch(/\brequire\(|\bexports\b/);
    const styles = await request(app()).get('/ui/race.css');
    expect(styles.headers['content-type']).toMatch(/^text\/css/);
  });

  it('runs as served, in a page of its own: lists the competitors, streams one answer into its lane and shows the other one\'s HTTP error', async () => {
    const script = (await request(app()).get('/ui/race.js')).text;
    const page = new Map(['race-form', 'prompt', 'competitors', 'lanes'].map((id) => [id, new FakeNode(id)]));
    (page.get('prompt') as FakeNode).value = 'calc 1+1';
    const chunk = (delta: object): string => `data: ${JSON.stringify({ choices: [{ index: 0, delta }] })}\n\n`;
    const stream =
      chunk({ role: 'assistant', content: '' }) +
      chunk({ reasoning_content: 'Calling calc in a sandbox.' }) +
      chunk({ janus: { event: 'tool_start' } }) +
      ': ping\n\n' +
      chunk({ content: 'Hello' }) +
      chunk({ content: ' world' }) +
      'data: [DONE]\n\n';
    const asked: string[] = [];
    const fetch = async (url: string, init?: { body?: string }): Promise<Response> => {
      if (url === '/v1/models') return Response.json({ data: [{ id: 'alpha' }, { id: 'bravo', circuit_state: 'half_open' }, { id: 'carol' }] });
      const { model } = JSON.parse(init?.body ?? '{}') as { model: string };
      asked.push(model);
      if (model === 'bravo') return Response.json({ error: { message: 'the model is on fire' } }, { status: 500, headers: { 'x-request-id': 'id-bravo' } });
      return new Response(stream, { headers: { 'content-type': 'text/event-stream', 'x-request-id': 'id-alpha' } });
    };
    const document = { getElementById: (id: string) => page.get(id) ?? null, createElement: (tag: string) => new FakeNode(tag) };
    new Script(script).runInContext(createContext({ document, fetch, performance, TextDecoder }));

    const choices = page.get('competitors') as FakeNode;
    await until(() => choices.descendants().some((node) => node.tag === 'input'));
    const boxes = choices.descendants().filter((node) => node.tag === 'input');
    expect(boxes.map((box) => [box.value, box.checked])).toEqual([
      ['alpha', true],
      ['bravo', true],
      ['carol', false],
    ]);
    expect(choices.find('error').textContent).toBe(' (half_open)');

    (page.get('race-form') as FakeNode).listeners.get('submit')?.({ preventDefault: () => undefined });
    const lanes = (page.get('lanes') as FakeNode).children as FakeNode[];
    await until(() => lanes.length === 2 && lanes.every((lane) => lane.dataset.state === 'done' || lane.dataset.state === 'error'));
    expect(asked).toEqual(['alpha', 'bravo']);
    const [alpha, bravo] = lanes as [FakeNode, FakeNode];
    expect(alpha.dataset).toEqual({ competitor: 'alpha', state: 'done' });
    expect(alpha.find('answer').textContent).toBe('Hello world');
    expect(alpha.find('reasoning').textContent).toBe('Calling calc in a sandbox.\n');
    expect(alpha.find('events').descendants().map((node) => node.textContent)).toEqual(['◆ tool_start']);
    expect(alpha.find('request-id').textContent).toBe('request id id-alpha');
    expect(alpha.find('ttft').textContent).toMatch(/^TTFT \d+ ms$/);
    expect(alpha.find('gap').textContent).toMatch(/^max gap \d+ ms$/);
    expect(bravo.dataset).toEqual({ competitor: 'bravo', state: 'error' });
    expect(bravo.find('error').textContent).toBe('HTTP 500: the model is on fire');
    expect(bravo.find('request-id').textContent).toBe('request id id-bravo');
    expect(bravo.find('ttft').textContent).toBe('TTFT —');
  });
});
