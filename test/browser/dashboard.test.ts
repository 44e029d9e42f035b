import express from 'express';
import { createObservability, RequestError } from '../../middleware';
import { captureLogs } from '../../src/testing';
import { describeWithBrowser, eventually, screenshot, useBrowser, type ObservedPage } from '../support/browser';
import { listen } from '../support/observedApp';

jest.setTimeout(60_000);

const TOKEN = 'browser-dashboard-token-0123';
/** The feed pushes a snapshot every second: what the issue promises an operator. */
const WITHIN_MS = 2000;

describeWithBrowser('the ops dashboard in Chromium', () => {
  const browser = useBrowser();
  let healthy = true;
  let server: Awaited<ReturnType<typeof listen>>;
  let origin: string;
  const logs = captureLogs();
  const obs = createObservability({ service: 'orders', environment: {}, adminToken: TOKEN, logger: { transports: [logs] } });
  obs.health.register('database', async () => (healthy ? { ok: true } : { ok: false, message: 'connection refused' }));
  obs.health.registerPool('workers', () => ({ total: 4, available: 3, busy: 1, queue_size: 2 }));

  beforeAll(async () => {
    const app = express();
    app.use(obs.middleware());
    app.use(obs.routes());
    app.get('/v1/orders/:id', (_req, res) => {
      res.json({ ok: true });
    });
    app.get('/v1/fail', () => {
      throw new RequestError(502, 'payments upstream refused');
    });
    app.use(obs.notFound());
    app.use(obs.errorHandler());
    server = await listen(app);
    origin = `http://127.0.0.1:${server.port}`;
  });

  afterAll(async () => {
    await obs.shutdown();
    await server.close();
  });

  async function signIn(observed: ObservedPage, token: string): Promise<void> {
    await observed.page.goto('/ops/dashboard');
    await observed.page.fill('#token', token);
    await observed.page.click('#login');
  }

  async function traffic(ok: number, failures: readonly string[]): Promise<void> {
    for (let i = 0; i < ok; i++) await fetch(`${origin}/v1/orders/${i}`);
    for (const id of failures) await fetch(`${origin}/v1/fail`, { headers: { 'x-request-id': id } });
  }

  it('refuses a wrong token and keeps the form', async () => {
    const observed = await browser().newPage({ origin });
    await signIn(observed, 'this-is-not-the-admin-token');
    await observed.page.waitForSelector('#login-error');
    expect(await observed.page.textContent('#login-error')).toMatch(/refused/);
    expect(await observed.page.isVisible('#token')).toBe(true);
    expect(observed.page.url()).not.toContain('token');
    expect(observed.problems([/HTTP 401: POST .*\/ops\/dashboard\/login/, /status of 401/])).toEqual([]);
  });

  it('signs in, follows traffic, errors and health live, and signs out', async () => {
    const observed = await browser().newPage({ origin });
    const { page } = observed;
    await signIn(observed, TOKEN);
    await page.waitForSelector('#status[data-status="ok"]');
    expect(page.url()).toBe(`${origin}/ops/dashboard`);
    expect(await page.content()).not.toContain(TOKEN);
    const cookies = await observed.context.cookies();
    expect(cookies).toEqual([expect.objectContaining({ httpOnly: true, sameSite: 'Strict', path: '/ops' })]);
    expect(cookies[0]?.value).not.toContain(TOKEN);
    await page.waitForSelector('[data-pool="workers"]');
    expect(await page.textContent('[data-pool="workers"]')).toMatch(/busy\s*1/);

    const requestsBefore = await page.textContent('#requests-total');
    const chartBefore = await page.$eval('#chart-traffic canvas', (canvas) => (canvas as unknown as { toDataURL(): string }).toDataURL());
    await traffic(20, ['browser-err-1', 'browser-err-2']);
    const sent = Date.now();
    await eventually(async () => {
      expect(await page.textContent('#errors')).toContain('browser-err-2');
    }, WITHIN_MS);
    await eventually(async () => {
      expect(await page.textContent('#requests-total')).not.toBe(requestsBefore);
      expect(await page.textContent('#errors-total')).toBe('2');
      const chartNow = await page.$eval('#chart-traffic canvas', (canvas) => (canvas as unknown as { toDataURL(): string }).toDataURL());
      expect(chartNow).not.toBe(chartBefore);
    }, Math.max(0, WITHIN_MS - (Date.now() - sent)));
    const errorRow = await page.textContent('#errors tr:first-child');
    expect(errorRow).toContain('GET /v1/fail');
    expect(errorRow).toContain('502');
    expect(errorRow).toContain('payments upstream refused');
    await screenshot(page, 'dashboard-live');

    healthy = false;
    try {
      await eventually(async () => {
        expect(await page.getAttribute('#status', 'data-status')).toBe('fail');
      }, WITHIN_MS + 1000);
      expect(await page.textContent('[data-check="database"]')).toMatch(/fail.*connection refused/);
      await screenshot(page, 'dashboard-probe-failing');
    } finally {
      healthy = true;
    }

    await page.click('#logout');
    await page.waitForSelector('#token');
    expect(await observed.context.cookies()).toEqual([]);
    // Leaving the page aborts its feed.
    expect(observed.problems([/request failed: GET \S+\/ops\/dashboard\/feed \(net::ERR_ABORTED\)/])).toEqual([]);
  });

  it('fits a phone screen', async () => {
    const observed = await browser().newPage({ origin, viewport: { width: 390, height: 844 } });
    await signIn(observed, TOKEN);
    await observed.page.waitForSelector('#status[data-status="ok"]');
    const overflow = await observed.page.evaluate(() => {
      const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
      return root.scrollWidth - root.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(observed.page, 'dashboard-phone');
    expect(observed.problems()).toEqual([]);
  });
});
