import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import type TransportStream from 'winston-transport';
import type { ConfigOverrides } from './config';
import type { MetricsOptions } from './metrics';
import type { RedactionOptions } from './redaction';
import type { RequestTimelineOptions } from './requestTimeline';
import type { ObservabilityTracingOptions } from './tracingSetup';

/** How an instance's log lines are written (the `logger` option of `createTelemetry`). */
export interface ObservabilityLoggerOptions {
  /** Replace the default transport (batched JSON lines on `destination`). */
  readonly transports?: readonly TransportStream[];
  /** Where the default transport writes. Default `process.stdout`. */
  readonly destination?: NodeJS.WritableStream;
  /**
   * What is redacted beyond sightline's built-in sensitive keys and secret-shaped text, and the
   * limits on logged values. Telemetry events and `/ops` answers quoting errors are redacted the same way.
   */
  readonly redaction?: RedactionOptions;
  /** `target` of lines that do not name one. Default `app`. */
  readonly target?: string;
  /** Replaces the OTLP exporter that `OTEL_LOGS_EXPORTER=otlp` sends log records to. */
  readonly exporter?: LogRecordExporter;
}

/** The registry's side of the metrics options: what exists without any HTTP server. */
export interface TelemetryMetricsOptions {
  /** Buckets of sightline's histograms, by catalogue key (`httpRequestDuration`, `streamTimeToFirstEvent`, …). */
  readonly buckets?: MetricsOptions['buckets'];
  /** prom-client's process metrics. Default true. */
  readonly processMetrics?: boolean;
}

/** Options of the instance's telemetry event bus, `obs.events` (the `events` option of `createTelemetry`). */
export interface ObservabilityEventOptions {
  /** Sampling rate by event name or pattern (`pool.*`); changeable at run time through `/ops/config`. */
  readonly sampling?: Readonly<Record<string, number>>;
  /** Events per second allowed by event name or pattern; the rest are counted and dropped. */
  readonly rateLimits?: Readonly<Record<string, number>>;
  /** Events kept for `/ops/events`. Default 200. */
  readonly recent?: number;
}

/** Thresholds of the health endpoints and of the error-rate alarm (the `health` option of `createTelemetry`). */
export interface ObservabilityHealthOptions {
  /** `/health/live` fails from this event-loop lag on. Default 1000. */
  readonly maxEventLoopLagMs?: number;
  /** Overall deadline of the readiness checks. Default 2000. */
  readonly deadlineMs?: number;
  /** Share of 5xx responses over `windowMs` that emits `error_rate.exceeded`. Default 0.05 over 60 s, from 20 requests. */
  readonly errorRate?: { readonly threshold?: number; readonly windowMs?: number; readonly minRequests?: number };
}

/** Options of `createTelemetry`; every setting of the configuration table may also be given here, winning over the environment. */
export interface TelemetryOptions extends ConfigOverrides {
  /** Variables to read settings from. Default `process.env`. */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /** Where log lines go and how they are redacted; the level and sampling come from the configuration. */
  readonly logger?: ObservabilityLoggerOptions;
  /** `false`: no process metrics (the registry stays available). */
  readonly metrics?: TelemetryMetricsOptions | false;
  /** Tracing is switched on by `tracingEnabled` / `OBS_TRACING_ENABLED`; these replace its exporter. */
  readonly tracing?: ObservabilityTracingOptions;
  /** Sampling, rate limits and the recent-events buffer of the telemetry event bus. */
  readonly events?: ObservabilityEventOptions;
  /** Event-loop lag limit, readiness deadline and error-rate alarm of the health endpoints. */
  readonly health?: ObservabilityHealthOptions;
  /** Log lines of recent requests for `GET /ops/requests/:request_id`; `false` keeps none. */
  readonly timeline?: RequestTimelineOptions | false;
}
