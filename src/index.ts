/**
 * sightline's core (`sightline/core`): telemetry for a Node service without a web framework.
 * The Express adapter (`sightline`) re-exports all of it.
 *
 * @packageDocumentation
 */
export { createTelemetry } from './telemetry';
export type { Telemetry, ObservabilityHealth } from './telemetry';
export type {
  TelemetryOptions,
  TelemetryMetricsOptions,
  ObservabilityEventOptions,
  ObservabilityHealthOptions,
  ObservabilityLoggerOptions,
} from './telemetryOptions';
export type { ObservabilityTracingOptions } from './tracingSetup';
export type { OutgoingContext } from './outgoingHeaders';
export type { SightlineConfig, ConfigError, ConfigOverrides } from './config';
export type { ContextStore, RequestContext } from './context';
export type { SightlineLogger } from './logger';
export { BatchedStreamTransport } from './batchedStreamTransport';
export type { BatchedStreamTransportOptions } from './batchedStreamTransport';
export { LOG_LEVELS } from './logLevels';
export type { LogLevel } from './logLevels';
export type { LogStats } from './logStats';
export type { RedactionOptions } from './redaction';
export type { SightlineMetrics, MetricsOptions, MetricSpec, HistogramSpec, HistogramKey, CatalogueMetric } from './metrics';
export { METRIC_CATALOGUE } from './metricCatalogue';
export type { MetricDefinition, MetricType, MetricSection, CatalogueKey } from './metricCatalogue';
export type { StreamObservation, StreamFigures, StreamOutcome } from './streamObservation';
export { isOpenAiContentEvent } from './openAiStreamContent';
export { createSseFrameAssembler, DEFAULT_MAX_FRAME_BYTES, FRAME_TOO_LARGE } from './sseFrameAssembler';
export type { SseFrameAssembler } from './sseFrameAssembler';
export { isEventStreamContentType } from './eventStreamContentType';
export { RequestError } from './requestError';
export type { RequestErrorOptions } from './requestError';
export { ERROR_CATALOGUE, sightlineErrorFormat } from './errors';
export type { ErrorCode, ErrorBody, ErrorDescription, ErrorFormat } from './errors';
export { openAiErrorFormat, openAiParamName } from './openAiErrorFormat';
export type { OpenAiErrorBody } from './openAiErrorFormat';
export { httpProbe, tcpProbe, thresholdProbe } from './healthProbes';
export type { HealthProbe, ProbeOutcome, HttpProbeOptions, TcpProbeOptions, ThresholdProbeOptions } from './healthProbes';
export type { HealthRegistry, HealthReport, CheckResult, HealthStatus, RegisterCheckOptions, PoolStatsReader } from './healthRegistry';
export type { EventBus, TelemetryEvent, EventConsumer, SubscribeOptions, EventBusStats } from './eventBus';
export type { ConsumerStats, ConsumerFailureKind, CircuitState, DropReason } from './eventBusTypes';
export type { Job, JobRun, JobSummary, JobRegistrationOptions } from './jobRegistry';
export type { RuntimeSettings, RuntimeSettingsView, SettingsUpdate, SettingsChange } from './runtimeSettings';
export type { RequestTimeline, RequestTimelineOptions, RequestTimelineView, TimelineEntry } from './requestTimeline';
export type { SignalHandling, SignalHandlingOptions } from './gracefulShutdown';
export type { AttachServerOptions } from './clientErrorResponder';
export type { EnvironmentVariable } from './environmentVariables';
export { defineSettings } from './settings';
export type { DefineSettingsOptions, DefinedSettings, LoadedSettings, SettingsOverrides, CrossSettingProblem } from './settings';
export type { Setting, SettingsTable } from './setting';
export { SettingsError } from './settingProblem';
export type { SettingProblem } from './settingProblem';
export type { StandardSchema, StandardResult, StandardIssue } from './standardSchema';
