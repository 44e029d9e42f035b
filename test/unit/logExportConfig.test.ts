import { loadLogExportConfig } from '../../src/logExportConfig';

describe('loadLogExportConfig', () => {
  it('exports nothing unless OTEL_LOGS_EXPORTER asks for otlp, and reads nothing else then', () => {
    for (const env of [{}, { OTEL_LOGS_EXPORTER: '' }, { OTEL_LOGS_EXPORTER: 'none' }, { OTEL_LOGS_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'nope' }]) {
      const { config, errors } = loadLogExportConfig(env);
      expect(config.exporter).toBe('none');
      expect(errors).toEqual([]);
    }
  });

  it('sends to OTEL_EXPORTER_OTLP_ENDPOINT + /v1/logs over protobuf by default', () => {
    expect(loadLogExportConfig({ OTEL_LOGS_EXPORTER: 'otlp' })).toEqual({
      config: { exporter: 'otlp', url: 'http://localhost:4318/v1/logs', protocol: 'http/protobuf', batch: {} },
      errors: [],
    });
    expect(loadLogExportConfig({ OTEL_LOGS_EXPORTER: ' OTLP ', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).config.url).toBe(
      'http://collector:4318/v1/logs',
    );
  });

  it('uses OTEL_EXPORTER_OTLP_LOGS_ENDPOINT as is, and the logs protocol over the generic one', () => {
    const { config, errors } = loadLogExportConfig({
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://generic:4318',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'https://logs.example/ingest',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json',
    });
    expect(errors).toEqual([]);
    expect(config).toMatchObject({ url: 'https://logs.example/ingest', protocol: 'http/json' });
    expect(loadLogExportConfig({ OTEL_LOGS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).config.protocol).toBe('http/json');
  });

  it('accepts the specification\'s comma-separated list', () => {
    expect(loadLogExportConfig({ OTEL_LOGS_EXPORTER: 'otlp,none' }).config.exporter).toBe('otlp');
  });

  it.each([
    ['console', /console is not supported: stdout already carries the JSON lines/],
    ['otlp,console', /console is not supported/],
    ['zipkin', /expected otlp or none, got "zipkin"; logs are not exported/],
  ])('reports OTEL_LOGS_EXPORTER=%s and exports nothing', (value, reason) => {
    const { config, errors } = loadLogExportConfig({ OTEL_LOGS_EXPORTER: value });
    expect(config.exporter).toBe('none');
    expect(errors).toEqual([{ variable: 'OTEL_LOGS_EXPORTER', message: expect.stringMatching(reason) }]);
  });

  it('reports an invalid endpoint, protocol or batch setting by variable and uses the default', () => {
    const { config, errors } = loadLogExportConfig({
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'ftp://collector',
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'grpc',
      OTEL_BLRP_SCHEDULE_DELAY: '250',
      OTEL_BLRP_MAX_QUEUE_SIZE: '0',
      OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: 'many',
    });
    expect(config).toEqual({ exporter: 'otlp', url: 'http://localhost:4318/v1/logs', protocol: 'http/protobuf', batch: { scheduledDelayMillis: 250 } });
    expect(errors.map((e) => e.variable)).toEqual([
      'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT',
      'OTEL_EXPORTER_OTLP_LOGS_PROTOCOL',
      'OTEL_BLRP_MAX_QUEUE_SIZE',
      'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE',
    ]);
    expect(errors[1]?.message).toMatch(/grpc is not supported/);
  });
});
