/** The race page: static markup; `raceClient` fills it in. */
export const RACE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sightline gateway</title>
<link rel="stylesheet" href="/ui/race.css">
</head>
<body>
<header>
  <h1>sightline gateway</h1>
  <nav>
    <a href="/ops/dashboard">dashboard</a>
    <a href="/health/detailed">health</a>
    <a href="/metrics">metrics</a>
  </nav>
</header>
<main>
  <form id="race-form">
    <label for="prompt">Prompt</label>
    <textarea id="prompt" name="prompt" rows="3" required>calc (2+3)*4</textarea>
    <fieldset id="competitors"><legend>Race</legend><p class="muted">loading competitors…</p></fieldset>
    <button type="submit" id="race">Race</button>
  </form>
  <section id="lanes" aria-live="polite"></section>
</main>
<script src="/ui/race.js"></script>
</body>
</html>
`;

export const RACE_STYLES = `
:root { color-scheme: light dark; --fg: #1d1d1f; --bg: #fafafa; --card: #fff; --muted: #6e6e73; --line: #d2d2d7; --ok: #1a7f37; --bad: #c62828; }
@media (prefers-color-scheme: dark) { :root { --fg: #f5f5f7; --bg: #111; --card: #1c1c1e; --muted: #a1a1a6; --line: #3a3a3c; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 1rem; padding: 0.75rem 1rem; border-bottom: 1px solid var(--line); }
header h1 { font-size: 1.1rem; margin: 0; }
nav a { margin-right: 0.75rem; color: inherit; }
main { padding: 1rem; max-width: 1400px; margin: 0 auto; }
form { display: grid; gap: 0.5rem; margin-bottom: 1rem; }
textarea { width: 100%; font: inherit; padding: 0.5rem; border: 1px solid var(--line); border-radius: 6px; background: var(--card); color: inherit; }
fieldset { border: 1px solid var(--line); border-radius: 6px; display: flex; flex-wrap: wrap; gap: 0.75rem; }
button { justify-self: start; font: inherit; padding: 0.4rem 1.2rem; border-radius: 6px; border: 1px solid var(--line); cursor: pointer; }
#lanes { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 1rem; }
.lane { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 0.75rem; min-height: 8rem; }
.lane h2 { font-size: 1rem; margin: 0 0 0.25rem; }
.figures { display: flex; flex-wrap: wrap; gap: 0.75rem; font-variant-numeric: tabular-nums; color: var(--muted); font-size: 0.85rem; }
.answer { white-space: pre-wrap; margin-top: 0.5rem; }
.reasoning { color: var(--muted); font-style: italic; white-space: pre-wrap; }
.events { font-size: 0.8rem; color: var(--muted); }
.state-done { color: var(--ok); }
.state-error, .error { color: var(--bad); }
.muted { color: var(--muted); }
code { font-size: 0.8rem; }
`;
