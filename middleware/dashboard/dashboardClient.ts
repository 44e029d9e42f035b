import type { DashboardPoint } from '../../src/dashboard/dashboardFeed';
import type { DashboardPool } from '../../src/dashboard/dashboardSnapshot';

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

// The feed's own shapes; type imports leave nothing in the served script.
type Point = DashboardPoint;
type PoolFigures = DashboardPool;

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
  readonly pools: PoolFigures[];
  readonly errors: { time: string; request_id: string; method: string; route: string; status: number; message: string }[];
  readonly events: { time: string; name: string; request_id: string | null; summary: string }[];
  readonly process: { rss_bytes: number; heap_used_bytes: number; event_loop_lag_ms: number };
}

interface ChartSpec {
  readonly id: string;
  readonly series: { label: string; color: string; value: (point: Point) => number | null; scale?: string }[];
  readonly scales: string[];
}

interface DrawnChart {
  readonly spec: ChartSpec;
  readonly target: PageNode;
  readonly chart: Chart;
}

/*
 * The dashboard's script, run in the browser. Each function below is served as its own
 * source (`dashboardClientScript`), all of them inside one function, so each must stay
 * self-contained: no imports, no module constant, nothing from outside but the browser's
 * globals and the other functions of `CLIENT_FUNCTIONS`, called by name.
 */

/** The entry: the charts, then the live feed that fills them and the page. */
function startDashboard(): void {
  const points: Point[] = [];
  const charts = createCharts(chartSpecs(), points);
  followFeed(points, charts);
}

/** `/ops/dashboard/feed`: the history of chart points, then a snapshot and a point every second. */
function followFeed(points: Point[], charts: readonly DrawnChart[]): void {
  const KEEP = 600;
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
    redrawCharts(charts, points);
  });
  feed.addEventListener('snapshot', (message) => {
    render(JSON.parse(message.data) as Snapshot);
  });
  // The server's chart point for each snapshot, the same one its history holds.
  feed.addEventListener('point', (message) => {
    const point = JSON.parse(message.data) as Point;
    if (points.length === 0 || (points[points.length - 1] as Point).time < point.time) points.push(point);
    if (points.length > KEEP) points.splice(0, points.length - KEEP);
    redrawCharts(charts, points);
  });
}

function chartSpecs(): ChartSpec[] {
  return [
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
        { label: 'RSS MB', color: '#8e8e93', value: (p) => Math.round(megabytes(p.rss_bytes) * 10) / 10, scale: 'mb' },
        { label: 'lag ms', color: '#ff375f', value: (p) => p.event_loop_lag_ms, scale: 'lag' },
      ],
    },
  ];
}

/** One uPlot chart per spec, resized with the window. */
function createCharts(specs: readonly ChartSpec[], points: readonly Point[]): DrawnChart[] {
  const charts: DrawnChart[] = [];
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
      chartData(spec, points),
      target,
    );
    charts.push({ spec, target, chart });
  }
  addEventListener('resize', () => {
    for (const { target, chart } of charts) chart.setSize({ width: widthOf(target), height: 180 });
  });
  return charts;
}

function chartData(spec: ChartSpec, points: readonly Point[]): (number | null)[][] {
  return [points.map((p) => p.time / 1000), ...spec.series.map((s) => points.map(s.value))];
}

function widthOf(target: PageNode): number {
  return Math.max(240, target.clientWidth);
}

function redrawCharts(charts: readonly DrawnChart[], points: readonly Point[]): void {
  for (const { spec, chart } of charts) chart.setData(chartData(spec, points));
  document.body.dataset.points = String(points.length);
}

function render(snapshot: Snapshot): void {
  renderFigures(snapshot);
  renderChecks(snapshot.checks);
  renderPools(snapshot.pools);
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

/** The header's status and the cards. */
function renderFigures(snapshot: Snapshot): void {
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
  byId('rss').textContent = `${Math.round(megabytes(snapshot.process.rss_bytes))} MB`;
  byId('lag').textContent = ms(snapshot.process.event_loop_lag_ms);
}

function renderChecks(checks: Snapshot['checks']): void {
  byId('checks').replaceChildren(
    ...checks.map((check) => {
      const item = element('li', `${check.name}${check.critical ? '' : ' (non-critical)'}: ${check.status}${check.message ? ` (${check.message})` : ''}`);
      item.dataset.status = check.status;
      item.dataset.check = check.name;
      return item;
    }),
  );
}

function renderPools(pools: readonly PoolFigures[]): void {
  const box = byId('pools');
  if (pools.length === 0) box.replaceChildren(element('p', 'No pool registered.', 'muted'));
  else box.replaceChildren(...pools.map(poolBox));
}

function poolBox(pool: PoolFigures): PageNode {
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
}

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

function ms(value: number | null): string {
  return value === null ? '–' : value < 10 ? `${value.toFixed(2)} ms` : `${Math.round(value).toLocaleString()} ms`;
}

function rate(value: number): string {
  return value < 10 ? value.toFixed(2) : Math.round(value).toLocaleString();
}

function clock(time: string | number): string {
  return new Date(time).toLocaleTimeString();
}

function shown(value: number | null): string {
  return value === null ? '–' : String(value);
}

function megabytes(bytes: number): number {
  return bytes / (1024 * 1024);
}

/** Every function of the script: a function missing here is a ReferenceError in the page. */
const CLIENT_FUNCTIONS: readonly ((...args: never[]) => unknown)[] = [
  startDashboard,
  followFeed,
  chartSpecs,
  createCharts,
  chartData,
  widthOf,
  redrawCharts,
  render,
  renderFigures,
  renderChecks,
  renderPools,
  poolBox,
  byId,
  element,
  row,
  ms,
  rate,
  clock,
  shown,
  megabytes,
];

/**
 * The served script: the functions' sources inside one function, `dashboardClient`, run at
 * once, so that none of them becomes a global of the page.
 */
export function dashboardClientScript(): string {
  const sources = CLIENT_FUNCTIONS.map((fn) => fn.toString()).join('\n');
  return `(function dashboardClient() {\n${sources}\n${startDashboard.name}();\n})();\n`;
}
