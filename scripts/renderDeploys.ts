/**
 * Render's API, as far as `deploy-watch` needs it: the latest deploy of a service
 * (`GET {base}/services/{id}/deploys?limit=1`, bearer key). The key is never printed.
 */

export const DEFAULT_RENDER_API_BASE = 'https://api.render.com/v1';

/** The deploy is running: go on to the health check. */
export const LIVE_STATUS = 'live';
/** The deploy will not go live: stop watching. */
export const FAILED_STATUSES: ReadonlySet<string> = new Set(['build_failed', 'update_failed', 'pre_deploy_failed', 'canceled', 'deactivated']);

export interface RenderTarget {
  readonly apiKey: string;
  readonly serviceId: string;
  readonly apiBase: string;
}

export interface RenderSetup {
  /** Set when both `RENDER_API_KEY` and `RENDER_SERVICE_ID` are. */
  readonly target: RenderTarget | undefined;
  /** Why the API is not used although one of the two is set. */
  readonly note: string | undefined;
}

/** A Render setting that cannot be used. */
export class RenderConfigError extends Error {
  override readonly name = 'RenderConfigError';
}

export function renderSetup(env: Readonly<Record<string, string | undefined>>): RenderSetup {
  const apiKey = env.RENDER_API_KEY?.trim() || undefined;
  const serviceId = env.RENDER_SERVICE_ID?.trim() || undefined;
  if (apiKey === undefined && serviceId === undefined) return { target: undefined, note: undefined };
  if (apiKey === undefined || serviceId === undefined) {
    return { target: undefined, note: `Render API not used: ${apiKey === undefined ? 'RENDER_API_KEY' : 'RENDER_SERVICE_ID'} is not set` };
  }
  const apiBase = (env.RENDER_API_BASE?.trim() || DEFAULT_RENDER_API_BASE).replace(/\/+$/, '');
  let protocol = '';
  try {
    protocol = new URL(apiBase).protocol;
  } catch {
    // reported below
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new RenderConfigError(`RENDER_API_BASE must be an http(s) URL, got ${JSON.stringify(env.RENDER_API_BASE)}`);
  }
  return { target: { apiKey, serviceId, apiBase }, note: undefined };
}

export interface Deploy {
  readonly id: string;
  readonly status: string;
  readonly commit: string | undefined;
}

/** The API answered something that will not change by asking again (401, 403, 404, an unknown shape). */
export class RenderApiError extends Error {
  override readonly name = 'RenderApiError';
  constructor(
    message: string,
    /** True when polling again cannot help. */
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

/** The latest deploy, or undefined when the service has none. Throws `RenderApiError`, or a network error. */
export async function latestDeploy(target: RenderTarget, fetchImpl: typeof fetch, signal: AbortSignal): Promise<Deploy | undefined> {
  const url = `${target.apiBase}/services/${encodeURIComponent(target.serviceId)}/deploys?limit=1`;
  const res = await fetchImpl(url, {
    headers: { accept: 'application/json', authorization: `Bearer ${target.apiKey}` },
    signal,
  });
  const text = await res.text();
  if (!res.ok) {
    const permanent = res.status !== 429 && res.status < 500;
    throw new RenderApiError(`Render API answered HTTP ${res.status}: ${apiMessage(text)}`, permanent);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new RenderApiError(`Render API answered something that is not JSON: ${text.slice(0, 200)}`, true);
  }
  if (!Array.isArray(body)) throw new RenderApiError(`Render API answered ${text.slice(0, 200)}, not a list of deploys`, true);
  if (body.length === 0) return undefined;
  // Each entry is `{ deploy: {…}, cursor }`; a bare deploy object is accepted too.
  const first = body[0] as { deploy?: unknown } | null;
  const deploy = (typeof first === 'object' && first !== null && 'deploy' in first ? first.deploy : first) as Record<string, unknown> | null;
  if (typeof deploy !== 'object' || deploy === null || typeof deploy.id !== 'string' || typeof deploy.status !== 'string') {
    throw new RenderApiError(`Render API answered a deploy without id and status: ${text.slice(0, 200)}`, true);
  }
  const commit = (deploy.commit as { id?: unknown } | undefined)?.id;
  return { id: deploy.id, status: deploy.status, commit: typeof commit === 'string' ? commit.slice(0, 12) : undefined };
}

function apiMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 200) || '(empty body)';
}
