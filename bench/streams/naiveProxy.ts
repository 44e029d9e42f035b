import { Agent, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { FailedMessage } from './protocol';
import { serveAsChild } from './serveAsChild';

/**
 * The naive pass-through proxy the gateway is compared with: `http.request` + `pipe` to one
 * upstream, no observability, no parsing, no timeouts. Its keep-alive agent has the gateway's
 * pool settings (gateway/competitors.ts), so the two differ by what the gateway does per
 * request and per chunk, not by connection reuse.
 *
 * `UPSTREAM_PORT` (on 127.0.0.1) is where everything goes; `MAX_SOCKETS` (default 4096, the
 * gateway's) caps its upstream connections. Tells the runner its port over IPC.
 */

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate', 'host']);

const upstreamPort = Number(process.env.UPSTREAM_PORT);
const maxSockets = Number(process.env.MAX_SOCKETS ?? 4096);
const agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: 256, timeout: 60_000, scheduling: 'lifo', noDelay: true });

function forwardable(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

function onRequest(req: IncomingMessage, res: ServerResponse): void {
  const upstream = request(
    { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: forwardable(req.headers), agent },
    (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, forwardable(upstreamRes.headers));
      upstreamRes.pipe(res);
      // pipe() does not end the response when the upstream breaks off; the client must not wait forever.
      upstreamRes.on('close', () => {
        if (!upstreamRes.complete) res.destroy();
      });
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end();
  });
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

function main(): void {
  if (!Number.isInteger(upstreamPort) || upstreamPort <= 0) {
    process.send?.({ type: 'failed', message: `UPSTREAM_PORT must be a port, got ${String(process.env.UPSTREAM_PORT)}` } satisfies FailedMessage);
    process.exit(1);
  }
  serveAsChild(onRequest);
}

main();
