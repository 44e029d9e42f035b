/**
 * The few DOM and uPlot shapes the script uses, declared here rather than through the DOM
 * library, which would replace Node's own `fetch` types everywhere else.
 */
interface PageNode {
  textContent: string | null;
  className: string;
  hidden: boolean;
  readonly dataset: Record<string, string | undefined>;
  readonly clientWidth: number;
  append(...nodes: (PageNode | string)[]): void;
  replaceChildren(...nodes: (PageNode | string)[]): void;
}

interface FeedMessage {
  readonly data: string;
}

interface FeedSource {
  readonly readyState: number;
  onopen: (() => void) | null;
  onerror: (() => void) | null;
  addEventListener(type: string, listener: (message: FeedMessage) => void): void;
  close(): void;
}

interface ChartSeries {
  readonly label?: string;
  readonly stroke?: string;
  readonly scale?: string;
  readonly width?: number;
  readonly spanGaps?: boolean;
}

interface ChartOptions {
  width: number;
  height: number;
  series: ChartSeries[];
  scales: Record<string, { time?: boolean; auto?: boolean }>;
  axes: { scale?: string; side?: number; stroke?: string; size?: number }[];
  legend: { live: boolean };
  cursor: { show: boolean };
}

interface Chart {
  setData(data: (number | null)[][]): void;
  setSize(size: { width: number; height: number }): void;
}

declare const document: {
  getElementById(id: string): PageNode | null;
  createElement(tag: string): PageNode;
  readonly body: PageNode;
};
declare const EventSource: new (url: string) => FeedSource;
declare const uPlot: new (options: ChartOptions, data: (number | null)[][], target: PageNode) => Chart;
declare const location: { reload(): void };
declare function addEventListener(type: 'resize', listener: () => void): void;

/**
 * The dashboard's script, run in the browser. It is served as this function's source
 * (`dashboardClientScript`), so it must stay self-contained: no imports, nothing from outside.
 */
export function dashboardClient(): void {
  interface Point {
    readonly time: number;
    readonly requests_per_s: number;
    readonly errors_per_s: number;
    readonly p50_ms: number | null;
    readonly p95_ms: number | null;
    readonly in_flight: number;
    readonly streams_active: number;
    readonly rss_bytes: number;
    readonly event_loop_lag_ms: number;
  }

  interface Snapshot {
    readonly time: number;
    readonly status: string;
    readonly draining: boolean;
    readonly checks: { name: string; status: string; critical: boolean; message: string | null }[];
    readonly http: {
      requests_per_s: number;
      errors_per_s: number;
      error_ratio: number;
      p50_ms: number | null;
      p95_ms: number | null;
      in_flight: number;
      requests_total: number;
      errors_total: number;
    };
    readonly streams: {
      active: number;
      upstreams: { upstream: string; active: number; streams: number; ttft_p50_ms: number | null; ttft_p95_ms: number | null; max_gap_p95_ms: number | null }[];
    };
    readonly pools: { name: string; state: string | null; total: number | null; available: number | null; busy: number | null; queue: number | null; requests_per_s: number | null; crashes: number | null }[];
    readonly errors: { time: string; request_id: string; method: string; route: string; status: number; message: string }[];
    readonly events: { time: string; name: string; request_id: string | null; summary: string }[];
    readonly process: { rss_bytes: number; heap_used_bytes: number; event_loop_lag_ms: number };
  }

  interface ChartSpec {
    readonly id: string;
    readonly series: { label: string; color: string; value: (point: Point) => number | null; scale?: string }[];
    readonly scales: string[];
  }

  const KEEP = 600;
  const MB = 1024 * 1024;
  const specs: ChartSpec[] = [
    {
      id: 'chart-traffic',
      scales: ['rate'],
      series: [
        { label: 'requests/s', color: '#0a84ff', value: (p) => p.requests_per_s, scale: 'rate' },
        { label: '5xx/s', color: '#c62828', value: (p) => p.errors_per_s, scale: 'rate' },
      ],
    },
    {
      id: 'chart-latency',
      scales: ['ms'],
      series: [
        { label: 'p50 ms', color: '#1a7f37', value: (p) => p.p50_ms, scale: 'ms' },
        { label: 'p95 ms', color: '#b26a00', value: (p) => p.p95_ms, scale: 'ms' },
      ],
    },
    {
      id: 'chart-concurrency',
      scales: ['count'],
      series: [
        { label: 'in flight', color: '#5e5ce6', value: (p) => p.in_flight, scale: 'count' },
        { label: 'streams', color: '#30b0c7', value: (p) => p.streams_active, scale: 'count' },
      ],
    },
    {
      id: 'chart-process',
      scales: ['mb', 'lag'],
      series: [
        { label: 'RSS MB', color: '#8e8e93', value: (p) => Math.round((p.rss_bytes / MB) * 10) / 10, scale: 'mb' },
        { label: 'lag ms', color: '#ff375f', value: (p) => p.event_loop_lag_ms, scale: 'lag' },
      ],
    },
  ];
  const points: Point[] = [];
  const charts: { spec: ChartSpec; target: PageNode; chart: Chart }[] = [];

  function byId(id: string): PageNode {
    const node = document.getElementById(id);
    if (node === null) throw new Error(`dashboard: no #${id}`);
    return node;
  }

  function element(tag: string, text = '', className = ''): PageNode {
    const node = document.createElement(tag);
    node.textContent = text;
    if (className !== '') node.className = className;
    return node;
  }

  function row(...cells: (string | PageNode)[]): PageNode {
    const tr = document.createElement('tr');
    for (const cell of cells) {
      if (typeof cell === 'string') tr.append(element('td', cell));
      else tr.append(cell);
    }
    return tr;
  }

  const ms = (value: number | null): string =>
    value === null ? '–' : value < 10 ? `${value.toFixed(2)} ms` : `${Math.round(value).toLocaleString()} ms`;
  const rate = (value: number): string => (value < 10 ? value.toFixed(2) : Math.round(value).toLocaleString());
  const clock = (time: string | number): string => new Date(time).toLocaleTimeString();
  const shown = (value: number | null): string => (value === null ? '–' : String(value));

  function chartData(spec: ChartSpec): (number | null)[][] {
    return [points.map((p) => p.time / 1000), ...spec.series.map((s) => points.map(s.value))];
  }

  function widthOf(target: PageNode): number {
    return Math.max(240, target.clientWidth);
  }

  function createCharts(): void {
    for (const spec of specs) {
      const target = byId(spec.id);
      const scales: ChartOptions['scales'] = { x: { time: true } };
      for (const scale of spec.scales) scales[scale] = { auto: true };
      const chart = new uPlot(
        {
          width: widthOf(target),
          height: 180,
          series: [{}, ...spec.series.map((s) => ({ label: s.label, stroke: s.color, scale: s.scale, width: 2, spanGaps: true }))],
          scales,
          axes: [{}, ...spec.scales.map((scale, i) => ({ scale, side: i === 0 ? 3 : 1, size: 50 }))],
          legend: { live: false },
          cursor: { show: false },
        },
        chartData(spec),
        target,
      );
      charts.push({ spec, target, chart });
    }
    addEventListener('resize', () => {
      for (const { target, chart } of charts) chart.setSize({ width: widthOf(target), height: 180 });
    });
  }

  function redrawCharts(): void {
    for (const { spec, chart } of charts) chart.setData(chartData(spec));
    document.body.dataset.points = String(points.length);
  }

  function render(snapshot: Snapshot): void {
    const status = byId('status');
    status.textContent = snapshot.status;
    status.dataset.status = snapshot.status;
    byId('draining').hidden = !snapshot.draining;
    byId('updated').textContent = `updated ${clock(snapshot.time)}`;
    byId('rate').textContent = rate(snapshot.http.requests_per_s);
    byId('error-rate').textContent = `${(snapshot.http.error_ratio * 100).toFixed(1)} %`;
    byId('p50').textContent = ms(snapshot.http.p50_ms);
    byId('p95').textContent = ms(snapshot.http.p95_ms);
    byId('in-flight').textContent = String(snapshot.http.in_flight);
    byId('streams').textContent = String(snapshot.streams.active);
    byId('requests-total').textContent = snapshot.http.requests_total.toLocaleString();
    byId('errors-total').textContent = snapshot.http.errors_total.toLocaleString();
    byId('rss').textContent = `${Math.round(snapshot.process.rss_bytes / MB)} MB`;
    byId('lag').textContent = ms(snapshot.process.event_loop_lag_ms);

    byId('checks').replaceChildren(
      ...snapshot.checks.map((check) => {
        const item = element('li', `${check.name}${check.critical ? '' : ' (non-critical)'}: ${check.status}${check.message ? ` (${check.message})` : ''}`);
        item.dataset.status = check.status;
        item.dataset.check = check.name;
        return item;
      }),
    );

    const pools = byId('pools');
    if (snapshot.pools.length === 0) pools.replaceChildren(element('p', 'No pool registered.', 'muted'));
    else
      pools.replaceChildren(
        ...snapshot.pools.map((pool) => {
          const box = element('div', '', 'pool');
          box.dataset.pool = pool.name;
          const figures = element('dl');
          const entries: [string, string][] = [
            ['state', pool.state ?? '–'],
            ['total', shown(pool.total)],
            ['available', shown(pool.available)],
            ['busy', shown(pool.busy)],
            ['queue', shown(pool.queue)],
            ['requests/s', pool.requests_per_s === null ? '–' : rate(pool.requests_per_s)],
            ['crashes', shown(pool.crashes)],
          ];
          for (const [label, value] of entries) figures.append(element('dt', label), element('dd', value));
          box.append(element('h3', pool.name), figures);
          return box;
        }),
      );

    byId('upstreams').replaceChildren(
      ...snapshot.streams.upstreams.map((u) =>
        row(u.upstream, String(u.active), String(u.streams), ms(u.ttft_p50_ms), ms(u.ttft_p95_ms), ms(u.max_gap_p95_ms)),
      ),
    );
    byId('errors').replaceChildren(
      ...snapshot.errors.map((e) => row(clock(e.time), e.request_id, `${e.method} ${e.route}`, String(e.status), element('td', e.message, 'message'))),
    );
    byId('events').replaceChildren(...snapshot.events.map((e) => row(clock(e.time), e.name, element('td', e.summary, 'message'))));
  }

  createCharts();
  const feed = new EventSource('/ops/dashboard/feed');
  feed.onopen = () => {
    document.body.dataset.feed = 'open';
  };
  feed.onerror = () => {
    document.body.dataset.feed = 'reconnecting';
    const status = byId('status');
    status.textContent = 'reconnecting…';
    status.dataset.status = 'unknown';
    // Closed for good: the session ended (401) or the dashboard went away; the page shows why.
    if (feed.readyState === 2) setTimeout(() => location.reload(), 2000);
  };
  feed.addEventListener('history', (message) => {
    points.splice(0, points.length, ...(JSON.parse(message.data) as Point[]).slice(-KEEP));
    redrawCharts();
  });
  feed.addEventListener('snapshot', (message) => {
    render(JSON.parse(message.data) as Snapshot);
  });
  // The server's chart point for each snapshot, the same one its history holds.
  feed.addEventListener('point', (message) => {
    const point = JSON.parse(message.data) as Point;
    if (points.length === 0 || (points[points.length - 1] as Point).time < point.time) points.push(point);
    if (points.length > KEEP) points.splice(0, points.length - KEEP);
    redrawCharts();
  });
}

export function dashboardClientScript(): string {
  return `(${dashboardClient.toString()})();\n`;
}
