/** Escapes text for HTML element content and attribute values. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function shell(title: string, body: string, scripts: readonly string[] = []): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/ops/dashboard/assets/uplot.css">
<link rel="stylesheet" href="/ops/dashboard/assets/dashboard.css">
</head>
<body>
${body}
${scripts.map((src) => `<script src="${src}"></script>`).join('\n')}
</body>
</html>
`;
}

/** The login form: the token is posted once, never put in a URL. */
export function loginPage(service: string, refusal?: string): string {
  const problem = refusal === undefined ? '' : `<p class="refused" id="login-error" role="alert">${escapeHtml(refusal)}</p>`;
  return shell(
    `${service} · sightline dashboard`,
    `<main class="login">
  <h1>${escapeHtml(service)}</h1>
  <p class="muted">sightline dashboard: sign in with the admin token.</p>
  ${problem}
  <form method="post" action="/ops/dashboard/login" autocomplete="off">
    <label for="token">Admin token</label>
    <input id="token" name="token" type="password" required autocomplete="off" spellcheck="false">
    <button type="submit" id="login">Sign in</button>
  </form>
</main>`,
  );
}

const card = (id: string, label: string): string =>
  `<div class="card"><div class="label">${label}</div><div class="value" id="${id}">–</div></div>`;

/** The dashboard: static markup; `dashboardClient` fills it in from the live feed. */
export function dashboardPage(service: string): string {
  return shell(
    `${service} · sightline dashboard`,
    `<header>
  <h1>${escapeHtml(service)}</h1>
  <span id="status" class="status" data-status="unknown">connecting…</span>
  <span id="draining" class="status" data-status="warn" hidden>draining</span>
  <span id="updated" class="muted"></span>
  <nav><a href="/health/detailed">health</a> <a href="/metrics">metrics</a></nav>
  <form method="post" action="/ops/dashboard/logout"><button type="submit" id="logout">Log out</button></form>
</header>
<main>
  <section class="cards">
    ${card('rate', 'requests/s')}
    ${card('error-rate', 'errors (5xx)')}
    ${card('p50', 'p50 latency')}
    ${card('p95', 'p95 latency')}
    ${card('in-flight', 'in flight')}
    ${card('streams', 'active streams')}
    ${card('requests-total', 'requests')}
    ${card('errors-total', '5xx total')}
    ${card('rss', 'memory (RSS)')}
    ${card('lag', 'event-loop lag')}
  </section>
  <section class="charts">
    <figure><figcaption>Requests and errors per second</figcaption><div id="chart-traffic" class="chart"></div></figure>
    <figure><figcaption>Latency p50 / p95 (ms)</figcaption><div id="chart-latency" class="chart"></div></figure>
    <figure><figcaption>In flight and active streams</figcaption><div id="chart-concurrency" class="chart"></div></figure>
    <figure><figcaption>Memory (MB) and event-loop lag (ms)</figcaption><div id="chart-process" class="chart"></div></figure>
  </section>
  <section>
    <h2>Health checks</h2>
    <ul id="checks" class="checks"></ul>
  </section>
  <section>
    <h2>Pools</h2>
    <div id="pools" class="pools"><p class="muted">No pool registered.</p></div>
  </section>
  <section>
    <h2>Upstreams (last minute)</h2>
    <table><thead><tr><th>upstream</th><th>active</th><th>streams</th><th>TTFT p50</th><th>TTFT p95</th><th>max gap p95</th></tr></thead>
    <tbody id="upstreams"></tbody></table>
  </section>
  <section>
    <h2>Recent errors</h2>
    <table><thead><tr><th>time</th><th>request id</th><th>route</th><th>status</th><th>message</th></tr></thead>
    <tbody id="errors"></tbody></table>
  </section>
  <section>
    <h2>Recent events</h2>
    <table><thead><tr><th>time</th><th>event</th><th>details</th></tr></thead>
    <tbody id="events"></tbody></table>
  </section>
</main>`,
    ['/ops/dashboard/assets/uplot.js', '/ops/dashboard/assets/dashboard.js'],
  );
}

export const DASHBOARD_STYLES = `
:root { color-scheme: light dark; --fg: #1d1d1f; --bg: #f5f5f7; --card: #fff; --muted: #6e6e73; --line: #d2d2d7; --ok: #1a7f37; --warn: #b26a00; --fail: #c62828; }
@media (prefers-color-scheme: dark) { :root { --fg: #f5f5f7; --bg: #111; --card: #1c1c1e; --muted: #a1a1a6; --line: #3a3a3c; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 0.75rem; padding: 0.6rem 1rem; border-bottom: 1px solid var(--line); background: var(--card); }
header h1 { font-size: 1.1rem; margin: 0; }
header nav a { color: inherit; margin-right: 0.5rem; }
header form { margin-left: auto; }
main { padding: 1rem; max-width: 1400px; margin: 0 auto; }
h2 { font-size: 1rem; margin: 1.25rem 0 0.5rem; }
.muted { color: var(--muted); }
.status { padding: 0.15rem 0.6rem; border-radius: 999px; font-weight: 600; color: #fff; background: var(--muted); }
.status[data-status="ok"] { background: var(--ok); }
.status[data-status="warn"] { background: var(--warn); }
.status[data-status="fail"] { background: var(--fail); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(130px, 1fr)); gap: 0.5rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 0.5rem 0.75rem; }
.card .label { color: var(--muted); font-size: 0.8rem; }
.card .value { font-size: 1.3rem; font-variant-numeric: tabular-nums; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 0.75rem; margin-top: 0.75rem; }
figure { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 0.5rem; min-width: 0; }
figcaption { color: var(--muted); font-size: 0.85rem; margin-bottom: 0.25rem; }
.chart { width: 100%; min-height: 180px; }
.checks { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 0.5rem; }
.checks li { background: var(--card); border: 1px solid var(--line); border-left: 4px solid var(--ok); border-radius: 6px; padding: 0.25rem 0.6rem; }
.checks li[data-status="warn"] { border-left-color: var(--warn); }
.checks li[data-status="fail"] { border-left-color: var(--fail); }
.pools { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 0.5rem; }
.pool { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 0.5rem 0.75rem; }
.pool h3 { margin: 0 0 0.25rem; font-size: 0.95rem; }
.pool dl { display: grid; grid-template-columns: auto auto; gap: 0 0.75rem; margin: 0; font-variant-numeric: tabular-nums; }
.pool dt { color: var(--muted); }
table { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); border-radius: 8px; display: block; overflow-x: auto; }
th, td { text-align: left; padding: 0.3rem 0.6rem; border-bottom: 1px solid var(--line); white-space: nowrap; font-variant-numeric: tabular-nums; }
td.message { white-space: normal; min-width: 16rem; }
.login { max-width: 380px; margin: 12vh auto; background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 1.5rem; }
.login form { display: grid; gap: 0.5rem; }
.login input { font: inherit; padding: 0.45rem; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: inherit; }
button { font: inherit; padding: 0.35rem 1rem; border-radius: 6px; border: 1px solid var(--line); cursor: pointer; background: var(--card); color: inherit; }
.refused { color: var(--fail); font-weight: 600; }
@media (max-width: 600px) { main { padding: 0.5rem; } .charts { grid-template-columns: 1fr; } }
`;
