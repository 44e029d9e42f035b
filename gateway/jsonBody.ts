import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';

/** A request's JSON body: the parsed value for routing, the bytes as received for the competitor. */
export interface JsonBody {
  /** `undefined` when the request carries no JSON body (none at all, or another media type). */
  readonly value: unknown;
  readonly raw: Buffer;
}

const EMPTY: JsonBody = Object.freeze({ value: undefined, raw: Buffer.alloc(0) });

/**
 * Reads a JSON request body whole and keeps its bytes, so the gateway forwards exactly what the
 * client sent instead of re-serialising it. Errors carry body-parser's `type` and status, which
 * sightline's error handler answers: 413 over `limit`, 400 for malformed JSON, 415 for an
 * encoding or charset it cannot read.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<JsonBody> {
  const hasBody = req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined;
  if (!hasBody || !isJson(req.headers['content-type'])) return EMPTY;
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    throw bodyError(415, 'encoding.unsupported', `unsupported content encoding "${encoding}"`);
  }
  const charset = charsetOf(req.headers['content-type'] as string);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw bodyError(415, 'charset.unsupported', `unsupported charset "${charset.toUpperCase()}"`);
  }
  const raw = await getRawBody(req, { length: req.headers['content-length'], limit });
  if (raw.byteLength === 0) return { value: undefined, raw };
  try {
    return { value: JSON.parse(raw.toString('utf8')) as unknown, raw };
  } catch (error) {
    throw bodyError(400, 'entity.parse.failed', (error as Error).message);
  }
}

function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  const mediaType = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

function charsetOf(contentType: string): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType);
  return match?.[1]?.toLowerCase();
}

function bodyError(status: number, type: string, message: string): Error {
  return Object.assign(new Error(message), { status, statusCode: status, type, expose: true });
}
