import { connect } from 'node:net';
import { isNativeError } from 'node:util/types';

/** What a probe found. `observed` is the value it measured, when it measured one. */
export interface ProbeOutcome {
  /** Whether the dependency is healthy. */
  readonly ok: boolean;
  /**
   * A short text for the check's result in health reports, cut at 500 characters. Clients of
   * the health endpoints may read it: no secrets, no URLs with tokens.
   */
  readonly message?: string;
  /** The measured value (an HTTP status, a count) reported with the check's result; a non-finite number is left out. */
  readonly observed?: number;
}

/**
 * Checks one dependency and stops when `signal` aborts. Resolving `true` or nothing means
 * it passed; `false`, a failed outcome or a rejection means it failed.
 */
export type HealthProbe = (signal: AbortSignal) => Promise<ProbeOutcome | boolean | void>;

/** Options of `httpProbe(url, options)`. */
export interface HttpProbeOptions {
  /** Statuses that pass. Default: any 2xx. */
  readonly expectStatus?: number | readonly number[];
}

/** Where `tcpProbe()` connects. */
export interface TcpProbeOptions {
  /** Host name or IP address; must not be empty. */
  readonly host: string;
  /** TCP port, an integer from 1 to 65535. */
  readonly port: number;
}

/**
 * The bounds within which `thresholdProbe()` passes; every bound given must hold. Give at least
 * one, and at most one lower (`above` or `atLeast`) and one upper (`below` or `atMost`), with
 * some value left able to pass: anything else throws at construction.
 */
export interface ThresholdProbeOptions {
  /** Passes only when the value is greater than this. */
  readonly above?: number;
  /** Passes only when the value is this or greater. */
  readonly atLeast?: number;
  /** Passes only when the value is less than this. */
  readonly below?: number;
  /** Passes only when the value is this or less. */
  readonly atMost?: number;
  /** Written after the value in messages: `0 workers, expected above 0`. */
  readonly unit?: string;
}

/** GETs `url`; passes on an expected status. The URL never appears in a message: it may carry a token. */
export function httpProbe(url: string | URL, options: HttpProbeOptions = {}): HealthProbe {
  const target = httpUrl(url);
  const expected = expectedStatuses(options.expectStatus);
  const passes = (status: number) => (expected === undefined ? status >= 200 && status < 300 : expected.includes(status));
  const expectation = expected === undefined ? '2xx' : expected.join(' or ');

  return async function probeHttp(signal) {
    let response: Response;
    try {
      // A redirect is reported, not followed: a login page answering 200 must not pass for the service.
      response = await fetch(target, { signal, redirect: 'manual' });
    } catch (error) {
      return { ok: false, message: signal.aborted ? abortMessage(signal) : fetchFailure(error) };
    }
    await response.body?.cancel().catch(() => undefined);
    const ok = passes(response.status);
    return {
      ok,
      observed: response.status,
      message: ok ? `HTTP ${response.status}` : `HTTP ${response.status}, expected ${expectation}`,
    };
  };
}

/** Opens a TCP connection and closes it at once. */
export function tcpProbe(options: TcpProbeOptions): HealthProbe {
  const { host, port } = options;
  if (typeof host !== 'string' || host.trim() === '') {
    throw new TypeError(`tcpProbe: host must be a non-empty string, got ${JSON.stringify(host)}`);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new TypeError(`tcpProbe: port must be an integer from 1 to 65535, got ${JSON.stringify(port)}`);
  }

  return function probeTcp(signal) {
    return new Promise<ProbeOutcome>((resolve) => {
      if (signal.aborted) {
        resolve({ ok: false, message: abortMessage(signal) });
        return;
      }
      const socket = connect({ host, port });
      const onAbort = () => finish({ ok: false, message: abortMessage(signal) });
      function finish(outcome: ProbeOutcome): void {
        signal.removeEventListener('abort', onAbort);
        socket.destroy();
        resolve(outcome);
      }
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => finish({ ok: true, message: `connected to ${host}:${port}` }));
      // `on`, not `once`: an error after `finish` must still find a listener, or it would crash the process.
      socket.on('error', (error) => finish({ ok: false, message: errorText(error) }));
    });
  };
}

/** Passes while `read()` is within the bounds: `thresholdProbe(() => pool.idle, { above: 0, unit: 'workers' })`. */
export function thresholdProbe(
  read: () => number | Promise<number>,
  options: ThresholdProbeOptions,
): HealthProbe {
  if (typeof read !== 'function') {
    throw new TypeError(`thresholdProbe: read must be a function returning a number, got ${typeof read}`);
  }
  const bounds = thresholdBounds(options);
  const { unit } = options;
  if (unit !== undefined && (typeof unit !== 'string' || unit.trim() === '')) {
    throw new TypeError(`thresholdProbe: unit must be a non-empty string, got ${JSON.stringify(unit)}`);
  }
  const expectation = bounds.map((bound) => bound.text).join(' and ');

  return async function probeThreshold() {
    const value: unknown = await read();
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return { ok: false, message: `read ${String(value)}, expected a number ${expectation}` };
    }
    const ok = bounds.every((bound) => bound.holds(value));
    const shown = unit === undefined ? String(value) : `${value} ${unit}`;
    return { ok, observed: value, message: ok ? `${shown} (${expectation})` : `${shown}, expected ${expectation}` };
  };
}

interface Bound {
  readonly text: string;
  holds(value: number): boolean;
}

function thresholdBounds(options: ThresholdProbeOptions): Bound[] {
  const shown = JSON.stringify(options ?? null);
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`thresholdProbe: options must give at least one of above, atLeast, below, atMost, got ${shown}`);
  }
  const { above, atLeast, below, atMost } = options;
  for (const [name, value] of Object.entries({ above, atLeast, below, atMost })) {
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw new TypeError(`thresholdProbe: ${name} must be a finite number, got ${typeof value === 'number' ? value : JSON.stringify(value)}`);
    }
  }
  if (above !== undefined && atLeast !== undefined) {
    throw new TypeError(`thresholdProbe: give above or atLeast, not both, got ${shown}`);
  }
  if (below !== undefined && atMost !== undefined) {
    throw new TypeError(`thresholdProbe: give below or atMost, not both, got ${shown}`);
  }
  const bounds: Bound[] = [];
  if (above !== undefined) bounds.push({ text: `above ${above}`, holds: (v) => v > above });
  if (atLeast !== undefined) bounds.push({ text: `at least ${atLeast}`, holds: (v) => v >= atLeast });
  if (below !== undefined) bounds.push({ text: `below ${below}`, holds: (v) => v < below });
  if (atMost !== undefined) bounds.push({ text: `at most ${atMost}`, holds: (v) => v <= atMost });
  if (bounds.length === 0) {
    throw new TypeError(`thresholdProbe: give at least one of above, atLeast, below, atMost, got ${shown}`);
  }
  const low = above ?? atLeast;
  const high = below ?? atMost;
  if (low !== undefined && high !== undefined) {
    const strict = above !== undefined || below !== undefined;
    if (low > high || (low === high && strict)) {
      throw new TypeError(`thresholdProbe: no value can pass ${shown}; the lower bound must be under the upper one`);
    }
  }
  return bounds;
}

function httpUrl(url: string | URL): URL {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    throw new TypeError(`httpProbe: url must be an absolute http(s) URL, got ${JSON.stringify(String(url))}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`httpProbe: url must use http or https, got ${JSON.stringify(parsed.protocol)}`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    // fetch refuses such URLs; the password is left out of the message.
    throw new TypeError(`httpProbe: url must not carry credentials, got user ${JSON.stringify(parsed.username)} in the URL`);
  }
  return parsed;
}

function expectedStatuses(expectStatus: HttpProbeOptions['expectStatus']): readonly number[] | undefined {
  if (expectStatus === undefined) return undefined;
  const statuses = typeof expectStatus === 'number' ? [expectStatus] : expectStatus;
  const valid =
    Array.isArray(statuses) && statuses.length > 0 && statuses.every((s) => Number.isInteger(s) && s >= 100 && s <= 599);
  if (!valid) {
    throw new TypeError(
      `httpProbe: expectStatus must be an HTTP status (100-599) or a non-empty list of them, got ${JSON.stringify(expectStatus)}`,
    );
  }
  return [...statuses];
}

/** fetch rejects with `TypeError: fetch failed`; the reason is in `cause`. */
function fetchFailure(error: unknown): string {
  const cause = isError(error) && isError(error.cause) ? error.cause : error;
  return errorText(cause);
}

function abortMessage(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return isError(reason) && reason.message !== '' ? `aborted: ${reason.message}` : 'aborted';
}

/** An AggregateError (every address of a host refused) has an empty message but a code. */
function errorText(error: unknown): string {
  if (!isError(error)) return String(error);
  if (error.message !== '') return error.message;
  const { code } = error as NodeJS.ErrnoException;
  return code ?? error.name;
}

/** Node's own errors (fetch, net) may come from another realm, where `instanceof Error` is false. */
function isError(value: unknown): value is Error {
  return value instanceof Error || isNativeError(value);
}
