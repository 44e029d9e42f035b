import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeJsonLogs, decodeProtobufLogs, type ReceivedLogRecord } from './otlpLogs';
import { decodeJsonTraces, decodeProtobufTraces, type ReceivedSpan } from './otlpSpans';
import { MalformedRequestError } from './otlpWire';

export type { ReceivedLogRecord } from './otlpLogs';
export type { ReceivedSpan } from './otlpSpans';

export interface OtlpReceiver {
  /** Base address without a path, e.g. `http://127.0.0.1:PORT`; exporters need `url + '/v1/traces'` or `'/v1/logs'`. */
  readonly url: string;
  readonly spans: ReceivedSpan[];
  readonly logs: ReceivedLogRecord[];
  /** One entry per POST to /v1/traces, whatever its outcome. */
  readonly requests: { contentType: string }[];
  /** One entry per POST to /v1/logs, whatever its outcome. */
  readonly logRequests: { contentType: string }[];
  /** Every body POSTed to /v1/traces or /v1/logs (gunzipped when it came compressed), whatever its outcome. */
  readonly bodies: Buffer[];
  /** The same, of /v1/logs only. */
  readonly logBodies: Buffer[];
  /** Bodies that could not be decoded (answered 400). */
  readonly rejected: number;
  /** Exports answered with the status given to `failWith`. */
  readonly failed: number;
  /** From now on, answer every export with this status (e.g. 500) without keeping what it carried; undefined: accept again. */
  failWith(status: number | undefined): void;
  waitForSpans(predicate: (spans: readonly ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  waitForLogs(predicate: (logs: readonly ReceivedLogRecord[]) => boolean, timeoutMs?: number): Promise<ReceivedLogRecord[]>;
  close(): Promise<void>;
}

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';
const POLL_INTERVAL_MS = 10;

/** What each path accepts: an OTLP export request of its signal, in protobuf or JSON. */
interface Signal {
  readonly requests: { contentType: string }[];
  readonly bodies: Buffer[];
  decode(body: Buffer, contentType: string): void;
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function decompress(body: Buffer, encoding: string): Buffer {
  if (encoding !== 'gzip') return body;
  try {
    return gunzipSync(body);
  } catch (error) {
    throw new MalformedRequestError(`invalid gzip body: ${(error as Error).message}`);
  }
}

function reply(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function describeSeen(spans: readonly ReceivedSpan[]): string {
  const names = spans.map((s) => s.name);
  const services = [...new Set(spans.map((s) => String(s.resource['service.name'] ?? '(none)')))];
  return `saw ${spans.length} span(s): [${names.join(', ')}] from services [${services.join(', ')}]`;
}

function describeSeenLogs(logs: readonly ReceivedLogRecord[]): string {
  const bodies = logs.map((record) => `${record.severityText}: ${String(record.body)}`);
  return `saw ${logs.length} log record(s): [${bodies.join(', ')}]`;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(seen: T[], predicate: (seen: readonly T[]) => boolean, timeoutMs: number, describe: () => string): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate(seen)) {
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs}ms; ${describe()}`);
    await delay(POLL_INTERVAL_MS);
  }
  return [...seen];
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const logs: ReceivedLogRecord[] = [];
  const bodies: Buffer[] = [];
  let rejected = 0;
  let failed = 0;
  let failureStatus: number | undefined;
  const signals: Record<string, Signal> = {
    '/v1/traces': {
      requests: [],
      bodies: [],
      decode: (body, contentType) => spans.push(...(contentType === PROTOBUF ? decodeProtobufTraces(body) : decodeJsonTraces(body))),
    },
    '/v1/logs': {
      requests: [],
      bodies: [],
      decode: (body, contentType) => logs.push(...(contentType === PROTOBUF ? decodeProtobufLogs(body) : decodeJsonLogs(body))),
    },
  };

  async function acceptExport(req: IncomingMessage, res: ServerResponse, contentType: string, signal: Signal): Promise<void> {
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'gzip' && encoding !== 'identity') {
      reply(res, 415, 'text/plain', `unsupported content-encoding ${encoding}`);
      return;
    }
    const raw = await readBody(req);
    let body = raw;
    try {
      body = decompress(raw, encoding);
      if (failureStatus === undefined) signal.decode(body, contentType);
    } catch (error) {
      rejected++;
      reply(res, 400, 'text/plain', (error as Error).message);
      return;
    } finally {
      bodies.push(body);
      signal.bodies.push(body);
    }
    if (failureStatus !== undefined) {
      failed++;
      reply(res, failureStatus, 'text/plain', 'failing on purpose');
      return;
    }
    // An empty Export*ServiceResponse: zero bytes in protobuf, `{}` in JSON.
    reply(res, 200, contentType, contentType === PROTOBUF ? '' : '{}');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const signal = signals[new URL(req.url ?? '/', 'http://receiver').pathname];
    if (signal === undefined) {
      reply(res, 404, 'text/plain', 'not found');
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      reply(res, 405, 'text/plain', 'method not allowed');
      return;
    }
    const contentType = mediaType(req);
    signal.requests.push({ contentType });
    if (contentType !== PROTOBUF && contentType !== JSON_TYPE) {
      reply(res, 415, 'text/plain', `unsupported content-type ${contentType}`);
      return;
    }
    await acceptExport(req, res, contentType, signal);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // The client went away mid-request; there is no one left to answer.
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  async function close(): Promise<void> {
    if (!server.listening) return;
    const closed = once(server, 'close');
    server.close();
    // Exporters keep their connections alive; without this, close() waits for them to idle out.
    server.closeAllConnections();
    await closed;
  }

  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    logs,
    requests: signals['/v1/traces']!.requests,
    logRequests: signals['/v1/logs']!.requests,
    bodies,
    logBodies: signals['/v1/logs']!.bodies,
    get rejected() {
      return rejected;
    },
    get failed() {
      return failed;
    },
    failWith(status) {
      failureStatus = status;
    },
    waitForSpans: (predicate, timeoutMs = 5_000) =>
      waitFor(spans, predicate, timeoutMs, () => describeSeen(spans)).catch((error: Error) => {
        throw new Error(`waitForSpans ${error.message}`);
      }),
    waitForLogs: (predicate, timeoutMs = 5_000) =>
      waitFor(logs, predicate, timeoutMs, () => describeSeenLogs(logs)).catch((error: Error) => {
        throw new Error(`waitForLogs ${error.message}`);
      }),
    close,
  };
}
