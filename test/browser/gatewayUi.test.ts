import type { Page } from 'playwright-core';
import { describeWithBrowser, eventually, screenshot, useBrowser, type ObservedPage } from '../support/browser';
import { startCompetitor, type RunningCompetitor } from '../support/competitorServer';
import { json, sse, startFakeCompetitor, type FakeCompetitor } from '../support/fakeCompetitor';
import { startGateway, type RunningGateway } from '../support/gatewayHarness';

/**
 * The gateway's race page (`GET /`) in headless Chromium, against a real gateway in front of
 * two real competitors and two failing fakes, all in this process on ephemeral ports.
 */

const PROMPT = 'Tell me how a gateway measures its streams';
const ALPHA_TTFT_MS = 600;
const BRAVO_TTFT_MS = 100;
const CUTOFF_PAUSE_MS = 800;
const COMPETITORS = ['alpha', 'bravo', 'broken', 'cutoff', 'stuck'] as const;
const REQUEST_ID = /^request id ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

interface LaneView {
  readonly state: string | null;
  readonly ttft: string;
  readonly gap: string;
  readonly requestId: string;
  readonly answer: string;
  readonly errors: string[];
}

interface Snapshot {
  readonly state: string;
  readonly answer: string;
}

function lane(page: Page, id: string) {
  return page.locator(`#lanes .lane[data-competitor="${id}"]`);
}

/** Waits for the lane to finish (done or error) and reads what it shows. */
async function finishedLane(page: Page, id: string): Promise<LaneView> {
  const root = lane(page, id);
  await page.locator(`#lanes .lane[data-competitor="${id}"]:is([data-state="done"], [data-state="error"])`).waitFor({ timeout: 15_000 });
  return {
    state: await root.getAttribute('data-state'),
    ttft: (await root.locator('.ttft').textContent()) ?? '',
    gap: (await root.locator('.gap').textContent()) ?? '',
    requestId: (await root.locator('.request-id').textContent()) ?? '',
    answer: (await root.locator('.answer').textContent()) ?? '',
    errors: await root.locator('.answer .error').allTextContents(),
  };
}

function milliseconds(text: string, label: string): number {
  const match = new RegExp(`^${label} (\\d+) ms$`).exec(text);
  if (match?.[1] === undefined) throw new Error(`expected "${label} <n> ms", the lane shows ${JSON.stringify(text)}`);
  return Number(match[1]);
}

function requestIdOf(view: LaneView): string {
  const match = REQUEST_ID.exec(view.requestId);
  if (match?.[1] === undefined) throw new Error(`expected "request id <uuid>", the lane shows ${JSON.stringify(view.requestId)}`);
  return match[1];
}

/**
 * Records, from inside the page, every distinct (state, answer) each lane goes through, so a
 * test can tell an answer that grew from one that appeared all at once.
 */
const RECORD_LANES = `(() => {
  const history = {};
  window.__laneHistory = history;
  const lanes = document.getElementById('lanes');
  const record = () => {
    for (const lane of lanes.querySelectorAll('.lane')) {
      const id = lane.dataset.competitor;
      const seen = (history[id] ??= []);
      const snapshot = { state: lane.dataset.state, answer: lane.querySelector('.answer').textContent };
      const last = seen[seen.length - 1];
      if (last === undefined || last.state !== snapshot.state || last.answer !== snapshot.answer) seen.push(snapshot);
    }
  };
  new MutationObserver(record).observe(lanes, { subtree: true, childList: true, characterData: true, attributes: true });
})()`;

async function laneHistory(page: Page, id: string): Promise<Snapshot[]> {
  return (await page.evaluate(`window.__laneHistory[${JSON.stringify(id)}] ?? []`)) as Snapshot[];
}

/** Opens the race page and ticks exactly `competitors`, with `PROMPT` typed in. */
async function preparedRace(observed: ObservedPage, competitors: readonly string[]): Promise<void> {
  const { page } = observed;
  await page.goto('/');
  const boxes = page.locator('#competitors input[name=competitor]');
  await eventually(async () => expect(await boxes.count()).toBe(COMPETITORS.length));
  for (const value of await boxes.evaluateAll((inputs) => inputs.map((input) => (input as unknown as { value: string }).value))) {
    await page.locator(`#competitors input[value="${value}"]`).setChecked(competitors.includes(value));
  }
  await page.locator('#prompt').fill(PROMPT);
  await page.evaluate(RECORD_LANES);
}

describeWithBrowser('gateway UI in Chromium', () => {
  const browser = useBrowser();
  let alpha: RunningCompetitor;
  let bravo: RunningCompetitor;
  let broken: FakeCompetitor;
  let cutoff: FakeCompetitor;
  let stuck: FakeCompetitor;
  let gateway: RunningGateway;

  beforeAll(async () => {
    [alpha, bravo, broken, cutoff, stuck] = await Promise.all([
      startCompetitor({
        COMPETITOR_ID: 'alpha',
        COMPETITOR_PROFILE: 'baseline',
        COMPETITOR_TTFT_MS: String(ALPHA_TTFT_MS),
        COMPETITOR_TOKEN_INTERVAL_MS: '40',
        COMPETITOR_TOKENS_PER_ANSWER: '20',
      }),
      startCompetitor({
        COMPETITOR_ID: 'bravo',
        COMPETITOR_PROFILE: 'fast',
        COMPETITOR_TTFT_MS: String(BRAVO_TTFT_MS),
        COMPETITOR_TOKEN_INTERVAL_MS: '30',
        COMPETITOR_TOKENS_PER_ANSWER: '24',
      }),
      startFakeCompetitor(json(500, { error: { message: 'the model is on fire', type: 'server_error' } })),
      startFakeCompetitor(sse(['role', { content: 'Partial ' }, { wait: CUTOFF_PAUSE_MS }, { content: 'answer' }, { wait: 50 }, 'destroy'])),
      startFakeCompetitor(sse(['role', { content: 'Stuck ' }, 'hang'])),
    ]);
    gateway = await startGateway({
      competitors: [
        { id: 'alpha', url: alpha.url },
        { id: 'bravo', url: bravo.url },
        { id: 'broken', url: broken.url },
        { id: 'cutoff', url: cutoff.url },
        { id: 'stuck', url: stuck.url },
      ],
    });
  }, 20_000);

  afterAll(async () => {
    await gateway?.close();
    await Promise.all([alpha?.stop(), bravo?.stop(), broken?.close(), cutoff?.close(), stuck?.close()]);
  });

  it('races two competitors: both answers stream in and complete, with TTFT, max gap and request id', async () => {
    const observed = await browser().newPage({ origin: gateway.url });
    const { page } = observed;
    await preparedRace(observed, ['alpha', 'bravo']);
    // The same prompt without streaming, at the same time: the text each lane must end with.
    const expected = Promise.all(
      ['alpha', 'bravo'].map((model) =>
        gateway.client.chat.completions.create({ model, messages: [{ role: 'user', content: PROMPT }] }).then((body) => body.choices[0]?.message.content),
      ),
    );
    expected.catch(() => undefined); // awaited below; no unhandled rejection if the test fails first
    await page.locator('#race').click();

    await lane(page, 'alpha').locator('.answer:not(:empty)').waitFor();
    await screenshot(page, 'gateway-ui-race-streaming');
    const views = { alpha: await finishedLane(page, 'alpha'), bravo: await finishedLane(page, 'bravo') };
    await screenshot(page, 'gateway-ui-race-done');
    const [alphaText, bravoText] = await expected;

    expect(await page.locator('#lanes .lane').count()).toBe(2);
    for (const [id, view, text] of [
      ['alpha', views.alpha, alphaText],
      ['bravo', views.bravo, bravoText],
    ] as const) {
      expect({ id, state: view.state, errors: view.errors }).toEqual({ id, state: 'done', errors: [] });
      expect(text).toBeTruthy();
      expect(view.answer).toBe(text);
      // It grew while streaming: at least one partial answer was on screen before the whole.
      const history = await laneHistory(page, id);
      const partial = history.filter((step) => step.state === 'streaming' && step.answer !== '' && step.answer !== text);
      expect(partial.length).toBeGreaterThan(0);
      for (const step of partial) expect(text?.startsWith(step.answer)).toBe(true);
      expect(history[history.length - 1]).toEqual({ state: 'done', answer: text });
      expect(milliseconds(view.gap, 'max gap')).toBeGreaterThan(0);
    }
    // TTFT is measured from the click: never under the competitor's own delay.
    expect(milliseconds(views.alpha.ttft, 'TTFT')).toBeGreaterThanOrEqual(ALPHA_TTFT_MS);
    expect(milliseconds(views.bravo.ttft, 'TTFT')).toBeGreaterThanOrEqual(BRAVO_TTFT_MS);
    // Between the role frame and the first token the competitor waits its TTFT.
    expect(milliseconds(views.alpha.gap, 'max gap')).toBeGreaterThanOrEqual(ALPHA_TTFT_MS / 2);

    // Each answer's request id is the one the gateway logged and passed on to its competitor.
    const ids = { alpha: requestIdOf(views.alpha), bravo: requestIdOf(views.bravo) };
    expect(ids.alpha).not.toBe(ids.bravo);
    for (const [id, competitor] of [
      ['alpha', alpha],
      ['bravo', bravo],
    ] as const) {
      const requestId = ids[id];
      const completed = await eventually(() => {
        const [line] = gateway.logs.find('request completed', requestId);
        expect(line).toBeDefined();
        return line;
      });
      expect(completed).toMatchObject({ status: 200, competitor_id: id, outcome: 'completed' });
      expect(competitor.logs.lines.some((line) => line.request_id === requestId)).toBe(true);
    }

    expect(observed.problems()).toEqual([]);
    expect(observed.offOriginRequests).toEqual([]);
    const paths = observed.requests.map((request) => `${request.method} ${new URL(request.url).pathname}`);
    expect(paths).toEqual(expect.arrayContaining(['GET /', 'GET /ui/race.js', 'GET /ui/race.css', 'GET /v1/models']));
    expect(paths.filter((entry) => entry === 'POST /v1/chat/completions')).toHaveLength(2);
  }, 30_000);

  it('shows the error of a competitor that fails before streaming and of one that breaks mid-stream', async () => {
    const observed = await browser().newPage({ origin: gateway.url });
    const { page } = observed;
    const before = { broken: broken.requests.length, cutoff: cutoff.requests.length };
    await preparedRace(observed, ['broken', 'cutoff']);
    await page.locator('#race').click();

    const views = { broken: await finishedLane(page, 'broken'), cutoff: await finishedLane(page, 'cutoff') };
    await screenshot(page, 'gateway-ui-race-errors');

    expect(views.broken.state).toBe('error');
    expect(views.broken.errors).toHaveLength(1);
    expect(views.broken.errors[0]).toMatch(/^HTTP 502: \S/);
    expect(views.broken.ttft).toBe('TTFT —');

    // The part streamed before the break stays, the error follows it.
    expect(views.cutoff.state).toBe('error');
    expect(views.cutoff.errors).toHaveLength(1);
    expect(views.cutoff.errors[0]).not.toBe('');
    expect(views.cutoff.answer.startsWith('Partial answer')).toBe(true);
    expect(milliseconds(views.cutoff.ttft, 'TTFT')).toBeGreaterThanOrEqual(0);
    // The competitor's pause between its two words, seen live (a generous margin for a loaded machine).
    expect(milliseconds(views.cutoff.gap, 'max gap')).toBeGreaterThanOrEqual(CUTOFF_PAUSE_MS / 2);
    const history = await laneHistory(page, 'cutoff');
    expect(history.some((step) => step.state === 'streaming' && step.answer === 'Partial ')).toBe(true);

    // The request id shown is the one the failing competitor received.
    const [brokenCall] = broken.requests.slice(before.broken);
    const [cutoffCall] = cutoff.requests.slice(before.cutoff);
    expect(requestIdOf(views.broken)).toBe(brokenCall?.headers['x-request-id']);
    expect(requestIdOf(views.cutoff)).toBe(cutoffCall?.headers['x-request-id']);

    // Chromium reports the 502 itself, as a console error; nothing else may go wrong.
    expect(observed.errorResponses.map((response) => `${response.status} ${response.method} ${new URL(response.url).pathname}`)).toEqual([
      '502 POST /v1/chat/completions',
    ]);
    expect(
      observed.problems([
        /^HTTP 502: POST \S+\/v1\/chat\/completions$/,
        /^console error: Failed to load resource: the server responded with a status of 502 \(Bad Gateway\) \(\S+\/v1\/chat\/completions\)$/,
      ]),
    ).toEqual([]);
  }, 30_000);

  it('shows a lost connection when the gateway goes away mid-stream', async () => {
    const observed = await browser().newPage({ origin: gateway.url });
    const { page } = observed;
    await preparedRace(observed, ['stuck']);
    await page.locator('#race').click();
    await lane(page, 'stuck').locator('.answer', { hasText: 'Stuck' }).waitFor();

    gateway.server.closeAllConnections();
    const view = await finishedLane(page, 'stuck');
    await screenshot(page, 'gateway-ui-connection-lost');

    expect(view.state).toBe('error');
    expect(view.answer.startsWith('Stuck ')).toBe(true);
    expect(view.errors).toHaveLength(1);
    expect(view.errors[0]).toMatch(/^connection lost: /);
    // Shown in the lane, not thrown at the page: no unhandled rejection.
    // Chromium reports the cut itself (net::ERR_INCOMPLETE_CHUNKED_ENCODING here).
    expect(
      observed.problems([
        /^console error: Failed to load resource: net::ERR_\w+ \(\S+\/v1\/chat\/completions\)$/,
        /^request failed: POST \S+\/v1\/chat\/completions \(net::ERR_\w+\)$/,
      ]),
    ).toEqual([]);
  }, 30_000);

  it('notices what it must: a CSP violation, an uncaught error and a request leaving the origin', async () => {
    const observed = await browser().newPage({ origin: gateway.url });
    const { page } = observed;
    await page.goto('/');
    expect(observed.problems()).toEqual([]);

    // The throw waits for a timer: navigating before it fired would replace the document (a
    // blocked navigation commits Chromium's error page) and the error would never happen.
    const thrown = page.waitForEvent('pageerror');
    await page.evaluate(`(() => {
      const image = document.createElement('img');
      image.src = 'http://192.0.2.1/pixel.png';
      document.body.append(image);
      setTimeout(() => { throw new Error('thrown on purpose'); }, 0);
    })()`);
    await thrown;
    await expect(page.goto('http://sightline.invalid/')).rejects.toThrow(/ERR_BLOCKED_BY_CLIENT/);

    await eventually(() => {
      const problems = observed.problems();
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^console error: .*192\.0\.2\.1.*Content Security Policy/),
          'page error: Error: thrown on purpose',
          'left the origin: GET http://192.0.2.1/pixel.png',
          'request failed: GET http://192.0.2.1/pixel.png (csp)',
          'left the origin: GET http://sightline.invalid/',
          'request failed: GET http://sightline.invalid/ (net::ERR_BLOCKED_BY_CLIENT)',
        ]),
      );
    });
  });
});
