import { Writable } from 'node:stream';
import type { Logger } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type TransportStream from 'winston-transport';
import { BatchedStreamTransport } from './batchedStreamTransport';
import type { ConfigError } from './config';
import { loadLogExportConfig, type LogExportConfig } from './logExportConfig';
import { logRecordOfLine } from './logRecordOfLine';
import type { LogStats } from './logStats';
import { parseResourceAttributes, type TracingIdentity } from './tracing';

export interface LogExportOptions {
  readonly identity: TracingIdentity;
  /** Where `OTEL_LOGS_EXPORTER` and the OTLP variables are read. */
  readonly environment: Readonly<Record<string, string | undefined>>;
  /** `exportErrors` counts the records that could not be exported. */
  readonly stats: LogStats;
  /** Replaces the OTLP exporter (tests, or a collector of your own). */
  readonly exporter?: LogRecordExporter;
}

export interface LogExport {
  /** Transports to add to the logger's own: none when export is off. */
  readonly transports: readonly TransportStream[];
  readonly errors: readonly ConfigError[];
  /** Exports every record emitted so far (write the logger's buffered lines first). Never rejects. */
  forceFlush(): Promise<void>;
}

const UNNAMED_SERVICE = 'unknown_service';

/**
 * Log export over OTLP when `OTEL_LOGS_EXPORTER=otlp`: an instance's own LoggerProvider
 * (never registered globally, so two instances never collide) with a batch processor and
 * the OTLP exporter, fed by a transport that takes each line as written to stdout. A failed
 * export is counted in `stats.exportErrors` and goes no further.
 */
export function startLogExport(options: LogExportOptions): LogExport {
  const { config, errors } = loadLogExportConfig(options.environment);
  if (config.exporter === 'none') return { transports: [], errors, forceFlush: () => Promise.resolve() };
  const { stats } = options;
  const countFailed = (records: number): void => {
    stats.exportErrors += records;
  };
  const exporter = new CountingExporter(options.exporter ?? otlpLogExporter(config), countFailed);
  // Loaded on demand, like the exporters: a service that does not export logs never pays for the SDK (about 8 ms).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { BatchLogRecordProcessor, LoggerProvider } = require('@opentelemetry/sdk-logs') as typeof import('@opentelemetry/sdk-logs');
  const provider = new LoggerProvider({
    resource: resourceFromAttributes(resourceAttributes(options.identity, options.environment.OTEL_RESOURCE_ATTRIBUTES)),
    processors: [new BatchLogRecordProcessor({ ...config.batch, exporter })],
  });
  // OpenTelemetry's winston bridge reads the info object, before redaction: this reads the finished, redacted line.
  const transport = new BatchedStreamTransport({
    stream: recordSink(provider.getLogger('sightline'), () => countFailed(1)),
    onError: () => countFailed(1),
  });
  return {
    transports: [transport],
    errors,
    forceFlush: () => provider.forceFlush().catch(() => undefined),
  };
}

/** As the tracing resource: OTEL_SERVICE_NAME (or the name given in code) wins over OTEL_RESOURCE_ATTRIBUTES' service.name. */
function resourceAttributes(identity: TracingIdentity, raw: string | undefined): Record<string, string> {
  const fromEnvironment = parseResourceAttributes(raw);
  const service = identity.service === UNNAMED_SERVICE ? (fromEnvironment['service.name'] ?? UNNAMED_SERVICE) : identity.service;
  return {
    ...fromEnvironment,
    'service.name': service,
    'service.version': identity.version,
    'deployment.environment.name': identity.env,
  };
}

/**
 * The stream behind the export transport: each write is a batch of finished lines, one per
 * `\n` (JSON text never holds a raw newline), each emitted as one log record.
 */
function recordSink(logger: Logger, onLineFailed: (error: unknown) => void): Writable {
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      let start = 0;
      for (let end = text.indexOf('\n'); end !== -1; start = end + 1, end = text.indexOf('\n', start)) {
        if (end > start) emitLine(logger, text.slice(start, end), onLineFailed);
      }
      if (start < text.length) emitLine(logger, text.slice(start), onLineFailed);
      callback();
    },
  });
}

function emitLine(logger: Logger, line: string, onLineFailed: (error: unknown) => void): void {
  try {
    const record = logRecordOfLine(line);
    if (record === undefined) onLineFailed(new TypeError('log line is not a JSON object'));
    else logger.emit(record);
  } catch (error) {
    onLineFailed(error);
  }
}

/** Counts the records of every export that did not succeed; the batch processor goes on with the next. */
class CountingExporter implements LogRecordExporter {
  constructor(
    private readonly inner: LogRecordExporter,
    private readonly onFailed: (records: number) => void,
  ) {}

  export(records: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    try {
      this.inner.export(records, (result) => {
        if (result.code !== ExportResultCode.SUCCESS) this.onFailed(records.length);
        resultCallback(result);
      });
    } catch (error) {
      this.onFailed(records.length);
      resultCallback({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
}

function otlpLogExporter(config: LogExportConfig): LogRecordExporter {
  // Loaded on demand: a service that does not export logs never pays for the exporters.
  if (config.protocol === 'http/json') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { OTLPLogExporter } = require('@opentelemetry/exporter-logs-otlp-http') as typeof import('@opentelemetry/exporter-logs-otlp-http');
    return new OTLPLogExporter({ url: config.url });
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { OTLPLogExporter } = require('@opentelemetry/exporter-logs-otlp-proto') as typeof import('@opentelemetry/exporter-logs-otlp-proto');
  return new OTLPLogExporter({ url: config.url });
}
