/** Counters of what the logging path lost or contained; read by metrics and health. */
export interface LogStats {
  /** Lines at info and below dropped because their request was not sampled. */
  droppedBySampling: number;
  /** Failed writes and errors raised by transports, contained. */
  transportErrors: number;
  /** Lines whose fields could not be formatted (written in a reduced form instead). */
  formatErrors: number;
  /** Log records the OTLP log export failed to deliver (`OTEL_LOGS_EXPORTER=otlp`), contained. */
  exportErrors: number;
}

export function createLogStats(): LogStats {
  return { droppedBySampling: 0, transportErrors: 0, formatErrors: 0, exportErrors: 0 };
}
