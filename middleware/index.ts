/**
 * sightline (`sightline`): observability for Express services. `createObservability()` is the
 * core's `createTelemetry()` plus the middlewares and routes; everything the core exports is
 * exported here too.
 *
 * @packageDocumentation
 */
export * from '../src/index';
export { createObservability } from './createObservability';
export type {
  Observability,
  ObservabilityOptions,
  ObservabilityAccessLogOptions,
  ObservabilityMetricsOptions,
  ObservabilityStreamOptions,
} from './createObservability';
export type { ObserveStream, ObserveStreamOptions } from './observeSse';
export type { RequestIdOptions } from './requestId';
export type { TraceContextOptions } from './traceContext';
export { requestIdOf } from './requestState';
export { pageSecurityHeaders } from './security';
