export { createObservability } from '../middleware/createObservability';
export type {
  Observability,
  ObservabilityOptions,
  ObservabilityLoggerOptions,
  ObservabilityAccessLogOptions,
  ObservabilityMetricsOptions,
  ObservabilityStreamOptions,
} from '../middleware/createObservability';
export { requestId, requestIdStep } from '../middleware/requestId';
export type { RequestIdOptions } from '../middleware/requestId';
export { traceContext, traceContextStep, outgoingTraceHeaders } from '../middleware/traceContext';
export type { TraceContextOptions } from '../middleware/traceContext';
export { accessLog, accessLogStep } from '../middleware/accessLog';
export type { AccessLogOptions, RequestOutcome } from '../middleware/accessLog';
export { httpMetrics, httpMetricsStep, DEFAULT_METRICS_EXCLUDED_PATHS } from '../middleware/httpMetrics';
export type { HttpMetricsOptions } from '../middleware/httpMetrics';
export { metricsRoute } from '../middleware/metricsRoute';
export type { MetricsRouteOptions } from '../middleware/metricsRoute';
export { streamObserver, observeSse } from '../middleware/observeSse';
export type { ObserveStream, ObserveStreamOptions, StreamMetricsOptions } from '../middleware/observeSse';
export { errorHandler, notFound } from '../middleware/errorHandler';
export type { ErrorHandlerOptions } from '../middleware/errorHandler';
export { requestContextOf, requestIdOf } from '../middleware/requestState';

export { loadConfig, CONFIG_DEFAULTS } from './config';
export type { SightlineConfig, ConfigError, ConfigOverrides, LoadedConfig } from './config';
export { createContextStore } from './context';
export type { ContextStore, RequestContext } from './context';
export { createLogger } from './logger';
export type { SightlineLogger, LoggerOptions } from './logger';
export { BatchedStreamTransport } from './batchedStreamTransport';
export type { BatchedStreamTransportOptions } from './batchedStreamTransport';
export { LOG_LEVELS } from './logLevels';
export type { LogLevel } from './logLevels';
export type { LogStats } from './logStats';
export { spanIdentityStep } from '../middleware/spanIdentity';
export type { ObservabilityTracingOptions } from '../middleware/tracingSetup';
export { startTracing, tracingRuntime } from './tracing';
export type { TracingRuntime, TracingOptions } from './tracing';
export { loadTracingConfig } from './tracingConfig';
export type { TracingConfig } from './tracingConfig';
export { instrumentProcess, UNTRACED_PATHS } from './instrumentation';
export { createMetrics } from './metrics';
export type { SightlineMetrics, MetricsOptions, MetricSpec, HistogramSpec } from './metrics';
export { METRIC_CATALOGUE } from './metricCatalogue';
export type { MetricDefinition, MetricType, CatalogueKey } from './metricCatalogue';
export { createStreamObservation } from './streamObservation';
export type { StreamObservation, StreamFigures, StreamOutcome } from './streamObservation';
export { createRedactor } from './redaction';
export type { Redactor, RedactionOptions } from './redaction';
export { isTraceSampled } from './sampling';
export { ERROR_CATALOGUE, errorBody } from './errors';
export type { ErrorCode, ErrorBody } from './errors';
export { isValidRequestId } from './requestId';
export {
  parseTraceparent,
  formatTraceparent,
  parseTracestate,
  randomTraceId,
  randomSpanId,
  TRACE_FLAG_SAMPLED,
} from './w3cTraceContext';
export type { TraceParent } from './w3cTraceContext';
