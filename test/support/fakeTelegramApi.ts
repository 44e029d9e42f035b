import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Telegram Bot API stand-in on port 0: `POST /bot<token>/<method>` with a JSON or a
 * multipart/form-data body. Every request is recorded with its body parsed (multipart by
 * the platform's own parser, files as bytes); the answer is `{ ok: true, result }` unless
 * `refuse()` was called.
 */

export interface ReceivedFile {
  readonly field: string;
  readonly name: string;
  readonly type: string;
  readonly bytes: Buffer;
}

export interface TelegramRequest {
  readonly token: string;
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  /** JSON body, or the text fields of a multipart body. */
  readonly fields: Record<string, unknown>;
  readonly files: ReceivedFile[];
  readonly multipart: boolean;
}

export interface FakeTelegramApi {
  /** `http://127.0.0.1:<port>`, for `TELEGRAM_API_BASE`. */
  readonly url: string;
  readonly requests: TelegramRequest[];
  /** Answers every later request with `{ ok: false, error_code, description }` and that HTTP status. */
  refuse(status: number, description: string): void;
  close(): Promise<void>;
}

export async function startFakeTelegramApi(): Promise<FakeTelegramApi> {
  const requests: TelegramRequest[] = [];
  let refusal: { status: number; description: string } | undefined;
  let messageId = 100;

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url ?? '');
        if (req.method !== 'POST' || match === null) {
          res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error_code: 404, description: 'Not Found' }));
          return;
        }
        const body = Buffer.concat(chunks);
        const contentType = req.headers['content-type'] ?? '';
        const multipart = contentType.startsWith('multipart/form-data');
        const fields: Record<string, unknown> = {};
        const files: ReceivedFile[] = [];
        try {
          if (multipart) {
            const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
            for (const [field, value] of form.entries()) {
              if (typeof value === 'string') fields[field] = value;
              else files.push({ field, name: value.name, type: value.type, bytes: Buffer.from(await value.arrayBuffer()) });
            }
          } else {
            Object.assign(fields, JSON.parse(body.toString('utf8')) as Record<string, unknown>);
          }
        } catch (error) {
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error_code: 400, description: `Bad Request: ${String(error)}` }));
          return;
        }
        requests.push({ token: decodeURIComponent(match[1]!), method: match[2]!, headers: req.headers, fields, files, multipart });
        if (refusal !== undefined) {
          res.writeHead(refusal.status, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error_code: refusal.status, description: refusal.description }));
          return;
        }
        messageId += 1;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, result: { message_id: messageId, chat: { id: fields.chat_id } } }));
      })();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    refuse(status, description) {
      refusal = { status, description };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
