import { loadTracingConfig } from '../../src/tracingConfig';

describe('loadTracingConfig', () => {
  test('defaults: local collector over protobuf, parent-based always-on, the SDK batch defaults', () => {
    const { config, errors } = loadTracingConfig({});
    expect(errors).toEqual([]);
    expect(config).toEqual({
      url: 'http://localhost:4318/v1/traces',
      protocol: 'http/protobuf',
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
      batch: {},
    });
  });

  test('the generic endpoint gets /v1/traces, the traces endpoint is used as is', () => {
    expect(loadTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).config.url).toBe('http://collector:4318/v1/traces');
    const both = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:9999/spans' };
    expect(loadTracingConfig(both).config.url).toBe('http://b:9999/spans');
  });

  test('OTEL_BSP_* become the batch processor settings (SDK 3 no longer reads them)', () => {
    const { config, errors } = loadTracingConfig({
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_BSP_EXPORT_TIMEOUT: '0',
      OTEL_BSP_MAX_QUEUE_SIZE: '64',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: ' 32 ',
    });
    expect(errors).toEqual([]);
    expect(config.batch).toEqual({ scheduledDelayMillis: 100, exportTimeoutMillis: 0, maxQueueSize: 64, maxExportBatchSize: 32 });
  });

  test('an invalid OTEL_BSP_* value is reported by name and left to the default', () => {
    const { config, errors } = loadTracingConfig({ OTEL_BSP_SCHEDULE_DELAY: 'soon', OTEL_BSP_MAX_QUEUE_SIZE: '0' });
    expect(config.batch).toEqual({});
    expect(errors).toEqual([
      { variable: 'OTEL_BSP_SCHEDULE_DELAY', message: 'expected a whole number of at least 0, got "soon"' },
      { variable: 'OTEL_BSP_MAX_QUEUE_SIZE', message: 'expected a whole number of at least 1, got "0"' },
    ]);
  });

  test('sampler and ratio; an unknown sampler or a ratio out of range is reported', () => {
    expect(loadTracingConfig({ OTEL_TRACES_SAMPLER: 'TraceIdRatio', OTEL_TRACES_SAMPLER_ARG: '0.25' }).config).toMatchObject({
      sampler: 'traceidratio',
      samplerRatio: 0.25,
    });
    const bad = loadTracingConfig({ OTEL_TRACES_SAMPLER: 'sometimes', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
    expect(bad.config).toMatchObject({ sampler: 'parentbased_always_on', protocol: 'http/protobuf' });
    expect(bad.errors.map((e) => e.variable)).toEqual(['OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_TRACES_SAMPLER']);
  });
});
