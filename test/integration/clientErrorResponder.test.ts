import { once } from 'node:events';
import { createServer, type Server, type ServerOptions } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import express from 'express';
import { createObservability, openAiErrorFormat, type Observability } from '../../middleware';
import { captureLogs, metricValue, type LogCapture } from '../../src/testing';
import { loadSchemas } from '../support/schemaValidator';

const schemas = loadSchemas();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Served {
  readonly obs: Observability;
  readonly logs: LogCapture;
  readonly server: Server;
  readonly port: number;
}

const servers: Server[] = [];

async function serve(options: { readonly attach?: boolean; readonly server?: ServerOptions } = {}): Promise<Served> {
  const logs = captureLogs();
  const obs = createObservability({ service: 'raw', environment: {}, logger: { transports: [logs] }, metrics: { processMetrics: false } });
  const app = express();
  app.use(obs.middleware());
  app.use(express.json());
  app.get('/v1/ping', (_req, res) => {
    res.json({ pong: true });
  });
  app.get('/v1/slow', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('partial');
  });
  app.post('/v1/echo', (req, res) => {
    res.json(req.body);
  });
  app.use(obs.notFound());
  app.use(obs.errorHandler());
  const server = createServer(options.server ?? {}, app);
  servers.push(server);
  if (options.attach !== false) obs.attachServer(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { obs, logs, server, port: (server.address() as AddressInfo).port };
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
});

interface RawAnswer {
  readonly raw: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Sends `bytes` on a connection of its own (then ends it unless `end: false`) and reads what comes back until the server closes it. */
async function exchange(port: number, bytes: string, options: { readonly end?: boolean } = {}): Promise<RawAnswer> {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  // The server closes while the client may still be writing: a reset then is expected (and
  // `events.once` would reject on it).
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  if (options.end === false) socket.write(bytes);
  else socket.end(bytes);
  await new Promise((resolve) => socket.once('close', resolve));
  return parseAnswer(received);
}

function parseAnswer(text: string): RawAnswer {
  const end = text.indexOf('\r\n\r\n');
  const [statusLine = '', ...headerLines] = text.slice(0, end === -1 ? text.length : end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { raw: text, status: Number(statusLine.split(' ')[1]), headers, body: end === -1 ? '' : text.slice(end + 4) };
}

const manyHeaders = Array.from({ length: 3000 }, (_, index) => `x-header-${index}: value\r\n`).join('');

const MALFORMED = [
  {
    name: 'a 64 KB header',
    bytes: `GET /v1/ping HTTP/1.1\r\nHost: x\r\nx-request-id: client-chosen\r\nx-big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
    status: 431,
    nodeCode: 'HPE_HEADER_OVERFLOW',
    error: { code: 'SIGHTLINE_ERR_HEADERS_TOO_LARGE', message: 'Request headers are too large' },
  },
  {
    name: '3,000 headers',
    bytes: `GET /v1/ping HTTP/1.1\r\nHost: x\r\nx-request-id: client-chosen\r\n${manyHeaders}\r\n`,
    status: 431,
    nodeCode: 'HPE_HEADER_OVERFLOW',
    error: { code: 'SIGHTLINE_ERR_HEADERS_TOO_LARGE', message: 'Request headers are too large' },
  },
  {
    name: 'a bad chunk size',
    bytes:
      'POST /v1/echo HTTP/1.1\r\nHost: x\r\nx-request-id: client-chosen\r\ncontent-type: application/json\r\n' +
      'transfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
    status: 400,
    nodeCode: 'HPE_INVALID_CHUNK_SIZE',
    error: { code: 'SIGHTLINE_ERR_MALFORMED_HTTP', message: 'The request is not valid HTTP: Invalid character in chunk size' },
  },
] as const;

describe('obs.attachServer(server)', () => {
  it.each(MALFORMED)('answers $name with $status in the JSON error shape, counts it, logs it and goes on serving', async (malformed) => {
    const { obs, logs, port } = await serve();
    const answer = await exchange(port, malformed.bytes);

    expect(answer.status).toBe(malformed.status);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(answer.headers.connection).toBe('close');
    expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
    const body = JSON.parse(answer.body) as { error: { request_id: string } };
    expect(schemas.errorsOf('errorBody.schema.json#/$defs/sightline', body)).toEqual([]);
    expect(body).toEqual({ error: { ...malformed.error, request_id: expect.stringMatching(UUID) } });
    expect(answer.headers['x-request-id']).toBe(body.error.request_id);

    expect(await metricValue(obs.metrics.registry, 'http_client_errors_total', { code: malformed.nodeCode })).toBe(1);
    const lines = logs.find('client error answered');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        target: 'http',
        code: malformed.nodeCode,
        status: malformed.status,
        bytes_parsed: expect.any(Number),
        remote_addr: expect.stringMatching(/127\.0\.0\.1$/),
        request_id: body.error.request_id,
      }),
    ]);

    const after = await fetch(`http://127.0.0.1:${port}/v1/ping`);
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ pong: true });
  });

  it('answers 408 in the JSON error shape when a request does not arrive within requestTimeout', async () => {
    const { obs, port } = await serve({ server: { requestTimeout: 200, headersTimeout: 100, connectionsCheckingInterval: 50 } });
    const answer = await exchange(port, 'GET /v1/ping HTTP/1.1\r\nHost: x\r\n', { end: false });
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body)).toEqual({
      error: { code: 'SIGHTLINE_ERR_REQUEST_TIMEOUT', message: 'The request did not arrive in time', request_id: expect.stringMatching(UUID) },
    });
    expect(await metricValue(obs.metrics.registry, 'http_client_errors_total', { code: 'ERR_HTTP_REQUEST_TIMEOUT' })).toBe(1);
  });

  it('answers in the format it is given, such as OpenAI’s', async () => {
    const { obs, server, port } = await serve({ attach: false });
    obs.attachServer(server, { format: openAiErrorFormat });
    const answer = await exchange(port, 'BAD REQUEST LINE\r\n\r\n');
    expect(answer.status).toBe(400);
    const body: unknown = JSON.parse(answer.body);
    expect(schemas.errorsOf('errorBody.schema.json#/$defs/openAi', body)).toEqual([]);
    expect(body).toEqual({
      error: {
        message: 'The request is not valid HTTP: Invalid method encountered',
        type: 'invalid_request_error',
        param: null,
        code: 'SIGHTLINE_ERR_MALFORMED_HTTP',
        request_id: expect.stringMatching(UUID),
      },
    });
  });

  it('closes a reset connection without writing to it, and only counts it', async () => {
    const { obs, logs, server, port } = await serve();
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const client = connect(port, '127.0.0.1');
    let received = '';
    client.on('data', (chunk: Buffer) => {
      received += chunk.toString();
    });
    const [socket] = await accepted;
    server.emit('clientError', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), socket);
    await once(client, 'close');
    expect(socket.destroyed).toBe(true);
    expect(received).toBe('');
    expect(logs.find('client error answered')).toEqual([]);
    expect(await metricValue(obs.metrics.registry, 'http_client_errors_total', { code: 'ECONNRESET' })).toBe(1);
  });

  it('never writes into a response already under way on the connection: it closes it', async () => {
    const { obs, logs, port } = await serve();
    const answer = await exchange(port, 'GET /v1/slow HTTP/1.1\r\nHost: x\r\n\r\nBAD REQUEST LINE\r\n\r\n');
    expect(answer.raw).not.toContain('SIGHTLINE_ERR');
    expect(answer.raw).not.toContain('HTTP/1.1 400');
    expect(logs.find('client error answered')).toEqual([]);
    expect(await metricValue(obs.metrics.registry, 'http_client_errors_total', { code: 'HPE_INVALID_METHOD' })).toBe(1);
  });

  it('attaches once however often it is called, and detaching gives the server back to Node', async () => {
    const { obs, server, port } = await serve();
    const detach = obs.attachServer(server);
    expect(obs.attachServer(server)).toBe(detach);
    expect(server.listenerCount('clientError')).toBe(1);

    detach();
    detach();
    expect(server.listenerCount('clientError')).toBe(0);
    const plain = await exchange(port, MALFORMED[0].bytes);
    expect(plain.status).toBe(431);
    expect(plain.headers['content-type']).toBeUndefined();
    expect(await metricValue(obs.metrics.registry, 'http_client_errors_total')).toBe(0);
  });

  it('keeps two instances apart, each counting its own server, and answers once when both share one', async () => {
    const first = await serve();
    const second = await serve();
    await exchange(first.port, MALFORMED[0].bytes);
    expect(await metricValue(first.obs.metrics.registry, 'http_client_errors_total')).toBe(1);
    expect(await metricValue(second.obs.metrics.registry, 'http_client_errors_total')).toBe(0);

    second.obs.attachServer(first.server);
    const answer = await exchange(first.port, MALFORMED[2].bytes);
    expect(answer.status).toBe(400);
    expect(answer.body.match(/"error"/g)).toHaveLength(1);
    expect(await metricValue(first.obs.metrics.registry, 'http_client_errors_total')).toBe(2);
    expect(await metricValue(second.obs.metrics.registry, 'http_client_errors_total')).toBe(0);
  });
});
