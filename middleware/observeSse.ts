import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { EventSourceMessage } from 'eventsource-parser';
import type { RequestContext } from '../src/context';
import type { SightlineMetrics } from '../src/metrics';
import { createStreamObservation, type StreamFigures, type StreamObservation } from '../src/streamObservation';
import { countBytes } from './byteCounter';
import type { PatchSet } from './patches';
import { requestContextOf } from './requestState';
import { whenResponseEnds } from './responseEnd';

export interface StreamMetricsOptions {
  readonly metrics: SightlineMetrics;
  /** Upstream names allowed as label values; any other name is labelled `other`. */
  readonly upstreams?: readonly string[];
  /** The instance's patches (byte counting). */
  readonly patches: PatchSet;
}

/** Options for one observed stream, given to `observeStream()` or `observeSse()`. */
export interface ObserveStreamOptions {
  /** The upstream feeding this stream (a configured name, else labelled `other`). Default `none`. */
  readonly upstream?: string;
  /** Whether a data event carries content, for time to first event. Default: any but `[DONE]`. */
  readonly isContent?: (event: EventSourceMessage) => boolean;
  /**
   * Characters an unfinished line or event may reach while it is parsed (default 1 MiB); beyond,
   * the stream is no longer parsed and `sightline_stream_observation_failures_total` counts it.
   * The response itself is never touched.
   */
  readonly maxFrameBytes?: number;
}

/**
 * Starts observing the streamed response `res` and returns its observation. Call it before
 * the first write; the observation ends by itself when the response finishes or the client
 * goes away, and its figures feed the stream metrics and the `request completed` line. A
 * second call for the same request returns the first observation (its options are ignored).
 */
export type ObserveStream = (
  req: IncomingMessage,
  res: ServerResponse,
  options?: ObserveStreamOptions,
) => StreamObservation;

export const NO_UPSTREAM = 'none';
export const OTHER_UPSTREAM = 'other';

/**
 * Observes a streamed response from the moment it is called until it ends: the active
 * streams gauge, time to first event, max gap, events, bytes and outcome, per upstream.
 * The figures also join the request's `request completed` line.
 */
export function streamObserver(options: StreamMetricsOptions): ObserveStream {
  const { metrics } = options;
  const allowed = new Set(options.upstreams ?? []);
  for (const name of allowed) {
    if (name === NO_UPSTREAM || name === OTHER_UPSTREAM || name === '') {
      throw new TypeError(`observeSse: ${JSON.stringify(name)} is reserved and cannot be an upstream name`);
    }
  }
  const active = metrics.catalogued('streamsActive');
  const ended = metrics.catalogued('streams');
  const ttft = metrics.catalogued('streamTimeToFirstEvent');
  const maxGap = metrics.catalogued('streamMaxGap');
  const duration = metrics.catalogued('streamDuration');
  const events = metrics.catalogued('streamEvents');
  const bytes = metrics.catalogued('streamBytes');
  const observationFailures = metrics.catalogued('streamObservationFailures');

  const record = (figures: StreamFigures): void => {
    const labels = { upstream: figures.upstream };
    active.dec(labels);
    ended.inc({ upstream: figures.upstream, outcome: figures.outcome });
    if (figures.ttftMs !== undefined) ttft.observe(labels, figures.ttftMs / 1000);
    maxGap.observe(labels, figures.maxGapMs / 1000);
    duration.observe(labels, figures.durationMs / 1000);
    events.inc(labels, figures.events);
    bytes.inc(labels, figures.bytes);
  };

  return function observeStream(req, res, streamOptions = {}) {
    const context: RequestContext = requestContextOf(req);
    if (context.stream !== undefined) return context.stream;
    const name = streamOptions.upstream;
    const upstream = name === undefined ? NO_UPSTREAM : allowed.has(name) ? name : OTHER_UPSTREAM;
    const { isContent, maxFrameBytes } = streamOptions;
    const observation = createStreamObservation({
      upstream,
      startedAt: context.startedAt,
      // It runs inside res.write: a throw would reach the code writing the response.
      isContent:
        isContent === undefined
          ? undefined
          : (event) => {
              try {
                return isContent(event);
              } catch {
                observationFailures.inc({ upstream });
                return false;
              }
            },
      maxFrameBytes,
      onFrameTooLarge: () => observationFailures.inc({ upstream }),
      onEnd: record,
    });
    context.stream = observation;
    countBytes(options.patches, req, res, context);
    active.inc({ upstream });
    whenResponseEnds(res, () => observation.finish(res.writableEnded));
    return observation;
  };
}

/**
 * Middleware for a Server-Sent-Events route: starts observing the stream and sets the
 * headers an SSE response needs to pass proxies unbuffered.
 */
export function observeSse(observe: ObserveStream, options: ObserveStreamOptions = {}): RequestHandler {
  return function observeSseMiddleware(req, res, next) {
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('X-Accel-Buffering', 'no');
    observe(req, res, options);
    next();
  };
}
