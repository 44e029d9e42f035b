import { describeFailure } from './describeFailure';

/**
 * A small Telegram Bot API client for the operator commands: settings from the
 * environment, one call per method (`POST {base}/bot<token>/<method>`), API errors raised
 * with the API's own description. The token is never printed: URLs shown to an operator
 * name it `<TELEGRAM_BOT_TOKEN>`, and it is scrubbed from every error message.
 */

export const DEFAULT_TELEGRAM_API_BASE = 'https://api.telegram.org';
/** Telegram's limit on a message's text. */
export const MAX_MESSAGE_LENGTH = 4096;
/** Telegram's limit on a media caption. */
export const MAX_CAPTION_LENGTH = 1024;

export interface TelegramConfig {
  readonly token: string;
  readonly chatId: string;
  readonly apiBase: string;
}

/** What the environment gives: everything needed to send, or the names of what is missing. */
export type TelegramSetup =
  | { readonly configured: true; readonly config: TelegramConfig }
  | { readonly configured: false; readonly missing: readonly string[]; readonly chatId: string | undefined; readonly apiBase: string };

/** A Telegram setting the commands cannot use. */
export class TelegramConfigError extends Error {
  override readonly name = 'TelegramConfigError';
}

/** Reads `TELEGRAM_BOT_TOKEN`, `TELEGRAM_CHAT_ID` and `TELEGRAM_API_BASE`; a base that is not an http(s) URL throws `TelegramConfigError`. */
export function telegramSetup(env: Readonly<Record<string, string | undefined>>): TelegramSetup {
  const apiBase = (env.TELEGRAM_API_BASE?.trim() || DEFAULT_TELEGRAM_API_BASE).replace(/\/+$/, '');
  let protocol: string;
  try {
    protocol = new URL(apiBase).protocol;
  } catch {
    protocol = '';
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new TelegramConfigError(`TELEGRAM_API_BASE must be an http(s) URL, got ${JSON.stringify(env.TELEGRAM_API_BASE)}`);
  }
  const token = env.TELEGRAM_BOT_TOKEN?.trim() || undefined;
  const chatId = env.TELEGRAM_CHAT_ID?.trim() || undefined;
  if (token === undefined || chatId === undefined) {
    const missing = [...(token === undefined ? ['TELEGRAM_BOT_TOKEN'] : []), ...(chatId === undefined ? ['TELEGRAM_CHAT_ID'] : [])];
    return { configured: false, missing, chatId, apiBase };
  }
  return { configured: true, config: { token, chatId, apiBase } };
}

/** A method's URL as shown to an operator: the token replaced by its variable's name. */
export function displayedMethodUrl(apiBase: string, method: string): string {
  return `${apiBase}/bot<TELEGRAM_BOT_TOKEN>/${method}`;
}

/** The API answered `ok: false` (or something that is not its JSON). */
export class TelegramApiError extends Error {
  override readonly name = 'TelegramApiError';
  constructor(
    readonly method: string,
    readonly httpStatus: number,
    /** The API's `description`, or what was received instead. */
    readonly description: string,
  ) {
    super(`Telegram ${method} failed (HTTP ${httpStatus}): ${description}`);
  }
}

export interface TelegramCallOptions {
  /** Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** Default 30 s. */
  readonly timeoutMs?: number;
}

/**
 * Calls `method` with a JSON body or a multipart `FormData`, and answers the API's
 * `result`. Throws `TelegramApiError` with the API's description when it says no, and an
 * `Error` (token scrubbed) when the request itself fails.
 */
export async function callTelegram(config: TelegramConfig, method: string, body: Record<string, unknown> | FormData, options: TelegramCallOptions = {}): Promise<unknown> {
  const { fetch: fetchImpl = fetch, timeoutMs = 30_000 } = options;
  const url = `${config.apiBase}/bot${config.token}/${method}`;
  const isForm = body instanceof FormData;
  let res: Response;
  let text: string;
  try {
    res = await fetchImpl(url, {
      method: 'POST',
      // FormData sets its own multipart content type with the boundary.
      headers: isForm ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: isForm ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await res.text();
  } catch (error) {
    throw new Error(scrub(`Telegram ${method} request failed: ${describeFailure(error)}`, config.token), { cause: error });
  }
  let parsed: { ok?: unknown; result?: unknown; description?: unknown } | undefined;
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  if (parsed?.ok === true && res.ok) return parsed.result;
  const description = typeof parsed?.description === 'string' ? parsed.description : `unexpected answer: ${text.slice(0, 200) || '(empty body)'}`;
  throw new TelegramApiError(method, res.status, scrub(description, config.token));
}

function scrub(text: string, token: string): string {
  return token === '' ? text : text.split(token).join('<TELEGRAM_BOT_TOKEN>');
}
