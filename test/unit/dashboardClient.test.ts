import vm from 'node:vm';
import { dashboardClientScript } from '../../middleware/dashboard/dashboardClient';

/** Just enough of a page for the script: nodes that keep their text, children and data attributes. */
class FakeNode {
  textContent: string | null = '';
  className = '';
  hidden = false;
  readonly dataset: Record<string, string | undefined> = {};
  readonly clientWidth = 300;
  children: (FakeNode | string)[] = [];

  constructor(readonly tag: string) {}

  append(...nodes: (FakeNode | string)[]): void {
    this.children.push(...nodes);
  }

  replaceChildren(...nodes: (FakeNode | string)[]): void {
    this.children = nodes;
  }

  text(): string {
    return [this.textContent ?? '', ...this.children.map((child) => (typeof child === 'string' ? child : child.text()))].join(' ').trim();
  }
}

interface Listeners {
  [type: string]: (message: { data: string }) => void;
}

/** Runs the served script in a context of its own, with the page, the feed and uPlot faked. */
function runScript() {
  const nodes = new Map<string, FakeNode>();
  const body = new FakeNode('body');
  const listeners: Listeners = {};
  const feeds: { url: string; readyState: number; onerror: (() => void) | null; onopen: (() => void) | null }[] = [];
  const charts: { data: unknown[][] }[] = [];
  const reload = jest.fn();
  let resize: (() => void) | undefined;
  const page = {
    document: {
      body,
      getElementById: (id: string) => {
        if (!nodes.has(id)) nodes.set(id, new FakeNode('div'));
        return nodes.get(id);
      },
      createElement: (tag: string) => new FakeNode(tag),
    },
    EventSource: class {
      readyState = 0;
      onopen: (() => void) | null = null;
      onerror: (() => void) | null = null;
      constructor(readonly url: string) {
        feeds.push(this);
      }
      addEventListener(type: string, listener: (message: { data: string }) => void): void {
        listeners[type] = listener;
      }
    },
    uPlot: class {
      data: unknown[][];
      constructor(_options: unknown, data: unknown[][]) {
        this.data = data;
        charts.push(this);
      }
      setData(data: unknown[][]): void {
        this.data = data;
      }
      setSize(): void {}
    },
    location: { reload },
    addEventListener: (type: string, listener: () => void) => {
      if (type === 'resize') resize = listener;
    },
    setTimeout: (callback: () => void) => callback(),
  };
  vm.runInNewContext(dashboardClientScript(), page);
  const send = (type: string, data: unknown): void => (listeners[type] as Listeners[string])({ data: JSON.stringify(data) });
  return { nodes, body, feeds, charts, reload, send, resize: () => resize?.() };
}

const point = (time: number) => ({
  time,
  requests_per_s: 3,
  errors_per_s: 0.5,
  p50_ms: 4,
  p95_ms: null,
  in_flight: 1,
  streams_active: 0,
  rss_bytes: 64 * 1024 * 1024,
  event_loop_lag_ms: 2,
});

const snapshot = {
  time: 1_700_000_000_000,
  status: 'warn',
  draining: true,
  checks: [{ name: 'database', status: 'fail', critical: false, message: 'connection refused' }],
  http: { requests_per_s: 12.5, errors_per_s: 1, error_ratio: 0.08, p50_ms: 3.5, p95_ms: 120, in_flight: 2, requests_total: 1500, errors_total: 12 },
  streams: { active: 1, upstreams: [{ upstream: 'openai', active: 1, streams: 4, ttft_p50_ms: 200, ttft_p95_ms: null, max_gap_p95_ms: 5 }] },
  pools: [{ name: 'workers', state: 'running', total: 4, available: 3, busy: 1, queue: null, requests_per_s: 2, crashes: 0 }],
  errors: [{ time: new Date(0).toISOString(), request_id: 'req-1', method: 'GET', route: '/v1/fail', status: 502, message: 'upstream refused' }],
  events: [{ time: new Date(0).toISOString(), name: 'pool.crashed', request_id: null, summary: 'worker 3' }],
  process: { rss_bytes: 100 * 1024 * 1024, heap_used_bytes: 1, event_loop_lag_ms: 1.25 },
};

describe('the dashboard script', () => {
  it('is one function run at once, that leaves no global behind', () => {
    const script = dashboardClientScript();
    expect(script).toMatch(/^\(function dashboardClient\(\) \{\n/);
    expect(script).toMatch(/\n\}\)\(\);\n$/);
    const { feeds, charts } = runScript();
    expect(feeds.map((feed) => feed.url)).toEqual(['/ops/dashboard/feed']);
    expect(charts).toHaveLength(4);
    const context = vm.createContext({});
    expect(() => vm.runInContext(script, context)).toThrow(/document is not defined|EventSource is not defined/);
    expect(Object.keys(context)).toEqual([]);
  });

  it('draws the history and each new point, keeping the latest 600 in time order', () => {
    const { charts, body, send } = runScript();
    send('history', Array.from({ length: 700 }, (_, i) => point(i * 1000)));
    expect(body.dataset.points).toBe('600');
    send('point', point(699_000));
    expect(body.dataset.points).toBe('600');
    send('point', point(700_000));
    expect(body.dataset.points).toBe('600');
    const [traffic, , , memory] = charts;
    expect(traffic?.data[0]?.slice(-2)).toEqual([699, 700]);
    expect(traffic?.data[1]?.[0]).toBe(3);
    expect(memory?.data[1]?.[0]).toBe(64);
  });

  it('fills the header, the cards, the checks, the pools and the tables from a snapshot', () => {
    const { nodes, send } = runScript();
    send('snapshot', snapshot);
    const text = (id: string) => nodes.get(id)?.text();
    expect(nodes.get('status')?.dataset.status).toBe('warn');
    expect(nodes.get('draining')?.hidden).toBe(false);
    expect(text('rate')).toBe('13');
    expect(text('error-rate')).toBe('8.0 %');
    expect(text('p50')).toBe('3.50 ms');
    expect(text('p95')).toBe('120 ms');
    expect(text('rss')).toBe('100 MB');
    expect(text('lag')).toBe('1.25 ms');
    expect(text('checks')).toBe('database (non-critical): fail (connection refused)');
    expect(text('pools')).toBe('workers state running total 4 available 3 busy 1 queue – requests/s 2.00 crashes 0');
    expect(text('upstreams')).toBe('openai 1 4 200 ms – 5.00 ms');
    expect(text('errors')).toMatch(/req-1 GET \/v1\/fail 502 upstream refused$/);
    expect(text('events')).toMatch(/pool\.crashed worker 3$/);
    send('snapshot', { ...snapshot, pools: [] });
    expect(text('pools')).toBe('No pool registered.');
  });

  it('shows a lost feed, and reloads the page once the feed is closed for good', () => {
    const { feeds, nodes, body, reload } = runScript();
    const feed = feeds[0] as (typeof feeds)[number];
    feed.onopen?.();
    expect(body.dataset.feed).toBe('open');
    feed.onerror?.();
    expect(body.dataset.feed).toBe('reconnecting');
    expect(nodes.get('status')?.text()).toBe('reconnecting…');
    expect(reload).not.toHaveBeenCalled();
    feed.readyState = 2;
    feed.onerror?.();
    expect(reload).toHaveBeenCalledTimes(1);
  });
});
