import { isNativeError } from 'node:util/types';

/** An error's message with its cause, as an operator reads it: `fetch failed: connect ECONNREFUSED 127.0.0.1:9`. */
export function describeFailure(error: unknown): string {
  if (!isError(error)) return String(error);
  // `AbortSignal.timeout` rejects with a DOMException named TimeoutError.
  if (error.name === 'TimeoutError') return 'no answer before the timeout';
  const cause = isError(error.cause) ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

/** An error's message (of any realm), or the thrown value as text. */
export function messageOf(error: unknown): string {
  return isError(error) ? error.message : String(error);
}

/** Error-like: an Error of any realm (fetch's errors inside a jest sandbox) or a DOMException (`AbortSignal.timeout`). */
function isError(value: unknown): value is Error {
  if (value instanceof Error || isNativeError(value)) return true;
  const candidate = value as { name?: unknown; message?: unknown } | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.name === 'string' && typeof candidate.message === 'string';
}
