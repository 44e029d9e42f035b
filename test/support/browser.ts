import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { describeWithBinary, systemBinary } from './systemBinary';

/**
 * Browser tests: playwright-core driving the system's Chromium (Debian's `/usr/bin/chromium`,
 * installed by `.ci/run`), headless. Nothing is ever downloaded: no `playwright install`.
 *
 * ```ts
 * describeWithBrowser('the race page', () => {
 *   const browser = useBrowser();
 *   it('…', async () => {
 *     const observed = await browser().newPage({ origin: gateway.url });
 *     await observed.page.goto('/');
 *     expect(observed.problems()).toEqual([]);
 *   });
 * });
 * ```
 */

/** Chromium's flags: no sandbox (tests run as root), and no traffic of its own to the network. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-domain-reliability',
  '--disable-breakpad',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-dev-shm-usage',
  '--disable-gpu',
];

const SCREENSHOT_DIR = path.resolve(__dirname, '..', '..', 'test-artifacts', 'screenshots');
const SCREENSHOT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/;

/** `SIGHTLINE_CHROMIUM_PATH` when set, else the `chromium` on PATH, else `/usr/bin/chromium`. */
export function chromiumPath(): string {
  const configured = process.env.SIGHTLINE_CHROMIUM_PATH;
  if (configured !== undefined && configured !== '') return configured;
  return systemBinary('chromium') ?? '/usr/bin/chromium';
}

function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * `describe` for tests that drive Chromium: skipped locally with a message when `chromium` is
 * not on PATH, failing in CI (`describeWithBinary`). A `SIGHTLINE_CHROMIUM_PATH` that is not
 * an executable file fails the block: it was asked for by name.
 */
export function describeWithBrowser(title: string, fn: () => void): void {
  const configured = process.env.SIGHTLINE_CHROMIUM_PATH;
  if (configured === undefined || configured === '') {
    describeWithBinary('chromium', title, fn);
    return;
  }
  if (isExecutableFile(configured)) {
    describe(title, fn);
    return;
  }
  describe(title, () => {
    it('has the browser SIGHTLINE_CHROMIUM_PATH names', () => {
      throw new Error(`SIGHTLINE_CHROMIUM_PATH=${JSON.stringify(configured)} is not an executable file`);
    });
  });
}

export interface ConsoleRecord {
  readonly type: string;
  readonly text: string;
  /** The script or document the message came from, when Chromium says. */
  readonly url: string;
}

export interface RequestRecord {
  readonly method: string;
  readonly url: string;
}

export interface FailedRequest extends RequestRecord {
  /** Chromium's reason, e.g. `net::ERR_BLOCKED_BY_CLIENT`. */
  readonly failure: string;
}

export interface ErrorResponse extends RequestRecord {
  readonly status: number;
}

export interface NewPageOptions {
  /** `http://127.0.0.1:<port>`: the service under test. Relative `page.goto` paths resolve against it. */
  readonly origin: string;
  /** Sent with every request (all of which stay on the origin), e.g. an admin token. */
  readonly extraHTTPHeaders?: Readonly<Record<string, string>>;
  /** Default 1280×800. */
  readonly viewport?: { readonly width: number; readonly height: number };
  /** Playwright's default for actions and waits. Default 10 s. */
  readonly timeoutMs?: number;
}

/** A page whose context records what went wrong while it ran. Lists grow as events arrive. */
export interface ObservedPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** The origin the page may talk to, normalised (`new URL(origin).origin`). */
  readonly origin: string;
  /** Every request any page of the context made, in order. */
  readonly requests: readonly RequestRecord[];
  /** `console.error` calls and Chromium's own errors: CSP violations, resources that failed to load. */
  readonly consoleErrors: readonly ConsoleRecord[];
  /** Uncaught exceptions and unhandled rejections, as `name: message`. */
  readonly pageErrors: readonly string[];
  /** Requests that got no response (network error, aborted, blocked). */
  readonly failedRequests: readonly FailedRequest[];
  /** Responses with a status of 400 or more. */
  readonly errorResponses: readonly ErrorResponse[];
  /**
   * Requests (and WebSockets) the page attempted for another origin: refused by the page's
   * content security policy, or aborted by the harness before they leave.
   */
  readonly offOriginRequests: readonly RequestRecord[];
  /**
   * Everything above that went wrong, one readable line each (`console error: …`,
   * `page error: …`, `request failed: …`, `HTTP 502: POST …`, `left the origin: …`),
   * less the lines matching one of `allowed`. `expect(observed.problems()).toEqual([])`.
   */
  problems(allowed?: readonly RegExp[]): string[];
  close(): Promise<void>;
}

export interface BrowserSession {
  readonly browser: Browser;
  /** A page in a fresh context (no shared cookies or cache), observed from its first request. */
  newPage(options: NewPageOptions): Promise<ObservedPage>;
  /** Closes every page and the browser. Idempotent. */
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** Default `chromiumPath()`. */
  readonly executablePath?: string;
  /** More Chromium flags, after `CHROMIUM_ARGS`. */
  readonly args?: readonly string[];
  /** Default 30 s (a loaded machine). */
  readonly timeoutMs?: number;
}

/** Data and blob URLs never leave the machine; everything else must share the origin. */
function leavesOrigin(url: string, origin: string): boolean {
  if (url.startsWith('data:') || url.startsWith('blob:') || url === 'about:blank') return false;
  try {
    return new URL(url).origin !== origin;
  } catch {
    return true;
  }
}

async function observePage(browser: Browser, options: NewPageOptions): Promise<ObservedPage> {
  const origin = new URL(options.origin).origin;
  const context = await browser.newContext({
    baseURL: origin,
    viewport: options.viewport ?? { width: 1280, height: 800 },
    extraHTTPHeaders: options.extraHTTPHeaders,
    serviceWorkers: 'block',
  });
  context.setDefaultTimeout(options.timeoutMs ?? 10_000);
  const requests: RequestRecord[] = [];
  const consoleErrors: ConsoleRecord[] = [];
  const pageErrors: string[] = [];
  const failedRequests: FailedRequest[] = [];
  const errorResponses: ErrorResponse[] = [];
  const offOriginRequests: RequestRecord[] = [];

  await context.route(
    (url) => leavesOrigin(url.href, origin),
    (route) => route.abort('blockedbyclient'),
  );
  context.on('request', (request) => {
    const record = { method: request.method(), url: request.url() };
    requests.push(record);
    if (leavesOrigin(record.url, origin)) offOriginRequests.push(record);
  });
  context.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'assert') {
      consoleErrors.push({ type: message.type(), text: message.text(), url: message.location().url });
    }
  });
  context.on('weberror', (webError) => {
    const error = webError.error();
    pageErrors.push(`${error.name}: ${error.message}`);
  });
  context.on('requestfailed', (request) => {
    failedRequests.push({ method: request.method(), url: request.url(), failure: request.failure()?.errorText ?? 'unknown' });
  });
  context.on('response', (response) => {
    if (response.status() >= 400) {
      errorResponses.push({ method: response.request().method(), url: response.url(), status: response.status() });
    }
  });
  const watchWebSockets = (page: Page): void => {
    page.on('websocket', (socket) => {
      if (leavesOrigin(socket.url().replace(/^ws/, 'http'), origin)) offOriginRequests.push({ method: 'WEBSOCKET', url: socket.url() });
    });
  };
  context.on('page', watchWebSockets);
  const page = await context.newPage();

  let closing: Promise<void> | undefined;
  return {
    page,
    context,
    origin,
    requests,
    consoleErrors,
    pageErrors,
    failedRequests,
    errorResponses,
    offOriginRequests,
    problems(allowed = []) {
      const lines = [
        ...consoleErrors.map((entry) => `console ${entry.type}: ${entry.text}${entry.url === '' ? '' : ` (${entry.url})`}`),
        ...pageErrors.map((error) => `page error: ${error}`),
        ...failedRequests.map((request) => `request failed: ${request.method} ${request.url} (${request.failure})`),
        ...errorResponses.map((response) => `HTTP ${response.status}: ${response.method} ${response.url}`),
        ...offOriginRequests.map((request) => `left the origin: ${request.method} ${request.url}`),
      ];
      return lines.filter((line) => !allowed.some((pattern) => pattern.test(line)));
    },
    close() {
      closing ??= context.close();
      return closing;
    },
  };
}

/** Starts headless Chromium. Close the session (or use `useBrowser`) or the process stays. */
export async function launchBrowser(options: LaunchOptions = {}): Promise<BrowserSession> {
  const browser = await chromium.launch({
    executablePath: options.executablePath ?? chromiumPath(),
    headless: true,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
    timeout: options.timeoutMs ?? 30_000,
  });
  const pages = new Set<ObservedPage>();
  let closing: Promise<void> | undefined;
  return {
    browser,
    async newPage(pageOptions) {
      const observed = await observePage(browser, pageOptions);
      pages.add(observed);
      return observed;
    },
    close() {
      closing ??= (async () => {
        await Promise.allSettled([...pages].map((observed) => observed.close()));
        await browser.close();
      })();
      return closing;
    },
  };
}

/**
 * Registers a describe block's hooks: Chromium launched once before its tests, every page
 * opened in a test closed after it, the browser closed after the block.
 */
export function useBrowser(options: LaunchOptions = {}): () => BrowserSession {
  let session: BrowserSession | undefined;
  const opened: ObservedPage[] = [];
  beforeAll(async () => {
    session = await launchBrowser(options);
  }, (options.timeoutMs ?? 30_000) + 5000);
  afterEach(async () => {
    await Promise.allSettled(opened.splice(0).map((observed) => observed.close()));
  });
  afterAll(async () => {
    await session?.close();
  });
  return () => {
    const current = session;
    if (current === undefined) throw new Error('the browser is launched in beforeAll');
    return {
      browser: current.browser,
      async newPage(pageOptions) {
        const observed = await current.newPage(pageOptions);
        opened.push(observed);
        return observed;
      },
      close: () => current.close(),
    };
  };
}

/**
 * Saves a full-page PNG as a test artifact, `test-artifacts/screenshots/<name>.png`
 * (replacing an older one), and returns its path.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  if (!SCREENSHOT_NAME.test(name)) {
    throw new TypeError(`screenshot: name must be 1-101 characters of [A-Za-z0-9._-], got ${JSON.stringify(name)}`);
  }
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Runs `assertion` until it passes or `timeoutMs` is over, then throws its last error:
 * `expect.poll` for jest. For conditions on a page that take time on a loaded machine.
 */
export async function eventually<T>(assertion: () => T | Promise<T>, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
