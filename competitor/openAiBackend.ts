import { Readable } from 'node:stream';
import type { Request, Response } from 'express';
import { isEventStreamContentType, RequestError, type Observability } from '../middleware';
import type { ChatRequest } from './chatRequest';
import type { CompletionBackend } from './completionBackend';
import type { CompetitorMetricSet } from './competitorMetricSet';
import { openSseStream } from './sseWriter';

export interface OpenAiBackendOptions {
  readonly obs: Observability;
  /** Base URL of the API, up to `/v1`. */
  readonly upstreamUrl: string;
  readonly apiKey: string | undefined;
  /** Model name sent upstream; default the requested one. */
  readonly model: string | undefined;
  readonly keepaliveIntervalMs: number;
  readonly metrics: CompetitorMetricSet;
  /** Until the upstream's response headers. Default 10000. */
  readonly connectTimeoutMs?: number;
}

/**
 * A real model behind any OpenAI-compatible endpoint: the request is sent on, and the
 * answer streamed back byte for byte (keep-alives added while the upstream is silent).
 */
export function openAiBackend(options: OpenAiBackendOptions): CompletionBackend {
  const { obs, upstreamUrl, apiKey, model, keepaliveIntervalMs, metrics, connectTimeoutMs = 10_000 } = options;
  const endpoint = `${upstreamUrl}/chat/completions`;

  return async function completeUpstream(req: Request, res: Response, request: ChatRequest, signal: AbortSignal) {
    const mode = request.stream === true ? 'stream' : 'json';
    const headers: Record<string, string> = { 'content-type': 'application/json', ...obs.outgoingHeaders() };
    if (apiKey !== undefined) headers.authorization = `Bearer ${apiKey}`;
    const body = JSON.stringify(model === undefined ? request : { ...request, model });
    // The deadline covers the wait for the response headers only; the client's signal covers it all.
    const connectDeadline = new AbortController();
    const timer = setTimeout(() => connectDeadline.abort(), connectTimeoutMs);
    let upstream: globalThis.Response;
    try {
      upstream = await fetch(endpoint, { method: 'POST', headers, body, signal: AbortSignal.any([signal, connectDeadline.signal]) });
    } catch (error) {
      if (signal.aborted) return;
      metrics.completions.inc({ mode, outcome: 'failed' });
      const timedOut = connectDeadline.signal.aborted;
      obs.logger.warn('upstream model unreachable', { target: 'model', error, timed_out: timedOut });
      throw new RequestError(timedOut ? 504 : 502, timedOut ? 'The upstream model did not answer in time' : 'The upstream model is unreachable', {
        reason: timedOut ? 'upstream_timeout' : 'upstream_unreachable',
      });
    } finally {
      clearTimeout(timer);
    }
    if (!upstream.ok || upstream.body === null) {
      metrics.completions.inc({ mode, outcome: 'failed' });
      const detail = await upstream.text().catch(() => '');
      obs.logger.warn('upstream model refused', { target: 'model', upstream_status: upstream.status, upstream_body: detail.slice(0, 500) });
      const status = upstream.status >= 400 && upstream.status < 500 && upstream.status !== 401 && upstream.status !== 403 ? upstream.status : 502;
      throw new RequestError(status, `The upstream model answered ${upstream.status}`, { reason: 'upstream_error' });
    }

    if (request.stream !== true) {
      res.status(200).type('application/json');
      await pipeBody(upstream.body, (chunk) => res.write(chunk), signal);
      res.end();
      metrics.completions.inc({ mode, outcome: 'completed' });
      return;
    }

    const contentType = upstream.headers.get('content-type');
    if (!isEventStreamContentType(contentType)) {
      metrics.completions.inc({ mode, outcome: 'failed' });
      await upstream.body.cancel().catch(() => undefined);
      const given = contentType === null ? 'no content type' : `content type ${JSON.stringify(contentType.slice(0, 100))}`;
      obs.logger.warn('upstream model answered without an event stream', { target: 'model', upstream_status: upstream.status, upstream_content_type: contentType });
      throw new RequestError(502, `The upstream model answered ${upstream.status} with ${given}, not an event stream`, { reason: 'upstream_not_event_stream' });
    }
    const { observation, writer } = openSseStream(obs, req, res, keepaliveIntervalMs);
    try {
      await pipeBody(upstream.body, (chunk) => writer.raw(chunk), signal);
      writer.endRaw();
      writer.stop();
      res.end();
      metrics.completions.inc({ mode, outcome: 'completed' });
    } catch (error) {
      if (signal.aborted) {
        writer.stop();
        metrics.completions.inc({ mode, outcome: 'client_aborted' });
        return;
      }
      observation.fail('upstream_error', 'upstream_stream_failed');
      metrics.completions.inc({ mode, outcome: 'failed' });
      obs.logger.warn('upstream model stream failed', { target: 'model', error });
      writer.fail({ message: 'The upstream model failed mid-stream', type: 'server_error', param: null, code: 'upstream_error', request_id: obs.context.get()?.requestId });
    }
  };
}

async function pipeBody(body: ReadableStream<Uint8Array>, write: (chunk: Uint8Array) => void, signal: AbortSignal): Promise<void> {
  for await (const chunk of Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>, { signal })) {
    write(chunk as Uint8Array);
  }
}
