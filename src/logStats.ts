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
  /** Strings (messages, field values, keys) cut to the longest a string may be. */
  truncatedStrings: number;
  /** Lines that left fields out, or cut their message, to stay within the longest a line may be. */
  truncatedLines: number;
}

/** Every counter at zero. */
export function createLogStats(): LogStats {
  return { droppedBySampling: 0, transportErrors: 0, formatErrors: 0, exportErrors: 0, truncatedStrings: 0, truncatedLines: 0 };
}
