export { createObservability } from '../middleware/createObservability';
export type {
  Observability,
  ObservabilityOptions,
  ObservabilityEventOptions,
  ObservabilityHealth,
  ObservabilityHealthOptions,
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
export { healthRoutes, HEALTH_PATHS } from '../middleware/healthRoutes';
export type { HealthRoutesOptions } from '../middleware/healthRoutes';
export { adminGuard } from '../middleware/adminGuard';
export type { AdminGuardOptions } from '../middleware/adminGuard';
export { opsRoutes } from '../middleware/opsRoutes';
export type { OpsRoutesOptions, RecentEventsSource } from '../middleware/opsRoutes';
export { opsSecurityHeaders, pageSecurityHeaders } from '../middleware/security';

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
export { loadLogExportConfig } from './logExportConfig';
export type { LogExportConfig, LogsExporterName } from './logExportConfig';
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
export { ERROR_CATALOGUE, errorBody, sightlineErrorFormat } from './errors';
export type { ErrorCode, ErrorBody, ErrorDescription, ErrorFormat } from './errors';
export { openAiErrorFormat, openAiParamName } from './openAiErrorFormat';
export { isOpenAiContentEvent } from './openAiStreamContent';
export { createSseFrameAssembler, DEFAULT_MAX_FRAME_BYTES, FRAME_TOO_LARGE } from './sseFrameAssembler';
export type { SseFrameAssembler } from './sseFrameAssembler';
export { isEventStreamContentType } from './eventStreamContentType';
export type { OpenAiErrorBody } from './openAiErrorFormat';
export { RequestError } from './requestError';
export type { RequestErrorOptions } from './requestError';
export { isValidRequestId } from './requestId';
export { httpProbe, tcpProbe, thresholdProbe } from './healthProbes';
export type { HealthProbe, ProbeOutcome, HttpProbeOptions, TcpProbeOptions, ThresholdProbeOptions } from './healthProbes';
export { createHealthRegistry } from './healthRegistry';
export type { HealthRegistry, HealthReport, CheckResult, HealthStatus, RegisterCheckOptions } from './healthRegistry';
export { createLifecycle } from './lifecycle';
export type { Lifecycle, LifecyclePhase, StartupState } from './lifecycle';
export { createEventBus } from './eventBus';
export type { EventBus, EventBusOptions, TelemetryEvent, EventConsumer, SubscribeOptions, EventBusStats } from './eventBus';
export { EVENT_CATALOGUE } from './eventCatalogue';
export { createEventLogConsumer } from './eventLogConsumer';
export { createEventMetricsConsumer } from './eventMetricsConsumer';
export { createRecentEvents } from './recentEvents';
export { createRequestTimeline } from './requestTimeline';
export type { RequestTimeline, RequestTimelineOptions, RequestTimelineView, TimelineEntry } from './requestTimeline';
export { createPoolStats } from './poolStatsConsumer';
export type { PoolStats } from './poolStatsConsumer';
export { createErrorRateMonitor } from './errorRateMonitor';
export { createEventLoopLag } from './eventLoopLag';
export type { EventLoopLag } from './eventLoopLag';
export { createJobRegistry } from './jobRegistry';
export type { Job, JobRegistry, JobRun, JobSummary } from './jobRegistry';
export { createRuntimeSettings } from './runtimeSettings';
export type { RuntimeSettings, RuntimeSettingsView, SettingsUpdate } from './runtimeSettings';
export { handleSignals } from './gracefulShutdown';
export type { SignalHandling, SignalHandlingOptions } from './gracefulShutdown';
export { createClientErrorResponder } from './clientErrorResponder';
export type { AttachServerOptions, ClientErrorResponder } from './clientErrorResponder';
export { adminTokenMatcher } from './adminToken';
export {
  parseTraceparent,
  formatTraceparent,
  parseTracestate,
  randomTraceId,
  randomSpanId,
  TRACE_FLAG_SAMPLED,
} from './w3cTraceContext';
export type { TraceParent } from './w3cTraceContext';
export type { EnvironmentVariable } from './environmentVariables';
