import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERROR_CATALOGUE, sightlineErrorFormat, type ErrorCode, type ErrorFormat } from './errors';
import type { SightlineLogger } from './logger';
import type { SightlineMetrics } from './metrics';
import { newRequestId } from './requestId';

/** Options of `attachServer()`: how the answers to requests Node's HTTP parser refuses are written. */
export interface AttachServerOptions {
  /** The body of the answers, as the service's `errorHandler({ format })`. Default `sightlineErrorFormat`. */
  readonly format?: ErrorFormat;
}

export interface ClientErrorDependencies {
  readonly logger: SightlineLogger;
  readonly metrics: SightlineMetrics;
}

/** One instance's answers to what Node's HTTP parser refuses, for each server it is attached to. */
export interface ClientErrorResponder {
  /** Attaching a server twice keeps the first attachment; returns the function that detaches it (idempotent). */
  attach(server: Server, options?: AttachServerOptions): () => void;
}

interface Answer {
  readonly status: number;
  readonly code: ErrorCode;
}

/** The statuses Node answers these with by itself; every other parser error is a 400. */
const ANSWERS: Readonly<Record<string, Answer>> = {
  HPE_HEADER_OVERFLOW: { status: 431, code: 'SIGHTLINE_ERR_HEADERS_TOO_LARGE' },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, code: 'SIGHTLINE_ERR_BODY_TOO_LARGE' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'SIGHTLINE_ERR_REQUEST_TIMEOUT' },
};
const MALFORMED: Answer = { status: 400, code: 'SIGHTLINE_ERR_MALFORMED_HTTP' };

const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;
// llhttp's reasons are fixed texts ("Invalid character in chunk size"): safe to show, never request bytes.
const PARSER_REASON = /^[A-Za-z0-9 ,.'()_-]{1,100}$/;
/** Marks a socket one responder has dealt with, so a second instance on the same server leaves it alone. */
const HANDLED = Symbol('sightline.clientErrorHandled');

type ClientSocket = Duplex & {
  remoteAddress?: string;
  [HANDLED]?: true;
};

/**
 * Answers requests Node's parser refuses (headers too large, malformed framing, a request
 * too slow to arrive) in the service's JSON error shape with a fresh request id and
 * `Connection: close`, counts them in `http_client_errors_total{code}` and logs one warn
 * line. A reset or unwritable connection is only counted and closed.
 */
export function createClientErrorResponder(dependencies: ClientErrorDependencies): ClientErrorResponder {
  const { logger, metrics } = dependencies;
  const counter = metrics.catalogued('httpClientErrors');
  // Known codes start at zero, so a rate over them exists before the first malformed request.
  for (const code of Object.keys(ANSWERS)) counter.inc({ code }, 0);
  const attached = new WeakMap<Server, () => void>();

  return {
    attach(server, options = {}) {
      const existing = attached.get(server);
      if (existing !== undefined) return existing;
      const { format = sightlineErrorFormat } = options;
      // The latest response of each connection: one already under way must not be corrupted by an answer.
      const responses = new WeakMap<Duplex, ServerResponse>();
      const onRequest = (req: IncomingMessage, res: ServerResponse): void => void responses.set(req.socket, res);
      const underWay = (socket: Duplex): boolean => {
        const res = responses.get(socket);
        return res !== undefined && res.headersSent && !res.writableFinished;
      };

      function onClientError(error: Error & { code?: unknown; bytesParsed?: unknown; reason?: unknown }, duplex: Duplex): void {
        const socket = duplex as ClientSocket;
        if (socket[HANDLED]) return;
        socket[HANDLED] = true;
        const code = typeof error.code === 'string' && ERROR_CODE.test(error.code) ? error.code : 'other';
        counter.inc({ code });
        const bytesParsed = typeof error.bytesParsed === 'number' ? error.bytesParsed : undefined;
        const remoteAddress = socket.remoteAddress;
        if (code === 'ECONNRESET' || !socket.writable || underWay(socket)) {
          logger.debug('client connection failed', { target: 'http', code, bytes_parsed: bytesParsed, remote_addr: remoteAddress });
          socket.destroy();
          return;
        }
        const { status, code: errorCode } = ANSWERS[code] ?? MALFORMED;
        const reason = typeof error.reason === 'string' && PARSER_REASON.test(error.reason) ? error.reason : undefined;
        const catalogued = ERROR_CATALOGUE[errorCode].message;
        const message = errorCode === 'SIGHTLINE_ERR_MALFORMED_HTTP' && reason !== undefined ? `${catalogued}: ${reason}` : catalogued;
        const requestId = newRequestId();
        const body = JSON.stringify(format({ status, code: errorCode, message, requestId }));
        logger.warn('client error answered', {
          target: 'http',
          code,
          status,
          reason,
          bytes_parsed: bytesParsed,
          remote_addr: remoteAddress,
          request_id: requestId,
        });
        // Closed once written: the parser cannot go on from where it failed, and the rest of what
        // the client sent would otherwise raise the same error again.
        socket.end(
          `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
            'Content-Type: application/json; charset=utf-8\r\n' +
            `Content-Length: ${Buffer.byteLength(body)}\r\n` +
            `X-Request-Id: ${requestId}\r\n` +
            'Connection: close\r\n\r\n' +
            body,
          () => socket.destroy(),
        );
      }

      server.on('request', onRequest);
      server.on('clientError', onClientError);
      const detach = (): void => {
        server.removeListener('request', onRequest);
        server.removeListener('clientError', onClientError);
        if (attached.get(server) === detach) attached.delete(server);
      };
      attached.set(server, detach);
      return detach;
    },
  };
}
