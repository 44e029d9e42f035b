import { CONFIG_DEFAULTS, CONFIG_VARIABLE_NAMES, distinctConfigErrors, loadConfig, SIGHTLINE_SETTINGS } from '../../src/config';
import { SettingsError } from '../../src/settingProblem';

describe('loadConfig', () => {
  it('uses the defaults for an empty environment, with no errors', () => {
    const { config, errors } = loadConfig({});
    expect(config).toEqual(CONFIG_DEFAULTS);
    expect(errors).toEqual([]);
  });

  it('reads every documented variable', () => {
    const { config, errors } = loadConfig({
      OBS_ENABLED: 'false',
      LOG_LEVEL: 'debug',
      LOG_SAMPLING_RATE_INFO: '0.25',
      OBS_METRICS_PUBLIC: 'true',
      OBS_METRICS_ENABLED: 'off',
      OBS_METRICS_PREFIX: 'gateway_',
      OBS_HEALTH_ENABLED: 'false',
      OBS_ADMIN_TOKEN: 'a-long-enough-admin-token',
      OBS_TRACING_ENABLED: 'yes',
      OBS_DASHBOARD_ENABLED: 'no',
      OTEL_SERVICE_NAME: 'gateway',
      SERVICE_VERSION: '1.4.0',
      APP_ENV: 'staging',
      GIT_COMMIT: 'abc1234',
      OBS_SHUTDOWN_DRAIN_DELAY_MS: '250',
      OBS_SHUTDOWN_GRACE_PERIOD_MS: '3000',
      OBS_LOG_MAX_STRING_LENGTH: '1024',
      OBS_LOG_MAX_LINE_BYTES: '16384',
    });
    expect(errors).toEqual([]);
    expect(config).toEqual({
      enabled: false,
      logLevel: 'debug',
      logSamplingRateInfo: 0.25,
      metricsPublic: true,
      metricsEnabled: false,
      metricsPrefix: 'gateway_',
      healthEnabled: false,
      adminToken: 'a-long-enough-admin-token',
      tracingEnabled: true,
      dashboardEnabled: false,
      service: 'gateway',
      version: '1.4.0',
      env: 'staging',
      commit: 'abc1234',
      shutdownDrainDelayMs: 250,
      shutdownGracePeriodMs: 3000,
      logMaxStringLength: 1024,
      logMaxLineBytes: 16384,
    });
  });

  it('refuses a shutdown delay that is not a whole number of milliseconds, keeping the default', () => {
    const { config, errors } = loadConfig({ OBS_SHUTDOWN_DRAIN_DELAY_MS: '1.5s' });
    expect(config.shutdownDrainDelayMs).toBe(5000);
    expect(errors).toEqual([{ variable: 'OBS_SHUTDOWN_DRAIN_DELAY_MS', message: 'expected a whole number of milliseconds up to 3600000, got "1.5s"' }]);
  });

  it('accepts ADMIN_SECRET as an alias of OBS_ADMIN_TOKEN, the latter winning', () => {
    expect(loadConfig({ ADMIN_SECRET: 'sibling-service-secret' }).config.adminToken).toBe('sibling-service-secret');
    expect(
      loadConfig({ ADMIN_SECRET: 'sibling-service-secret', OBS_ADMIN_TOKEN: 'the-primary-admin-token' }).config
        .adminToken,
    ).toBe('the-primary-admin-token');
  });

  it('falls back from APP_ENV to NODE_ENV', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).config.env).toBe('production');
    expect(loadConfig({ NODE_ENV: 'production', APP_ENV: 'canary' }).config.env).toBe('canary');
  });

  it.each([
    ['OBS_ENABLED', 'maybe', /expected true or false, got "maybe"/],
    ['OBS_METRICS_PUBLIC', '2', /expected true or false/],
    ['OBS_HEALTH_ENABLED', 'maybe', /expected true or false/],
    ['OBS_METRICS_ENABLED', 'sometimes', /expected true or false/],
    ['OBS_METRICS_PREFIX', '9lives_', /not starting with a digit, got "9lives_"/],
    ['OBS_METRICS_PREFIX', 'my-app_', /letters, digits/],
    ['OBS_TRACING_ENABLED', '', /expected true or false/],
    ['LOG_LEVEL', 'loud', /expected one of fatal, error, warn, info/],
    ['LOG_SAMPLING_RATE_INFO', '1.5', /between 0 and 1, got "1.5"/],
    ['LOG_SAMPLING_RATE_INFO', '-0.1', /between 0 and 1/],
    ['LOG_SAMPLING_RATE_INFO', 'half', /between 0 and 1/],
    ['LOG_SAMPLING_RATE_INFO', '', /between 0 and 1/],
    ['OTEL_SERVICE_NAME', '   ', /must not be empty/],
    ['OBS_ADMIN_TOKEN', 'short', /at least 16 characters/],
    ['OBS_LOG_MAX_STRING_LENGTH', '8k', /whole number of characters from 64 to 1073741824, got "8k"/],
    ['OBS_LOG_MAX_STRING_LENGTH', '10', /from 64/],
    ['OBS_LOG_MAX_LINE_BYTES', '512', /whole number of bytes from 1024 to 1073741824, got "512"/],
    ['OBS_LOG_MAX_LINE_BYTES', '', /whole number of bytes/],
  ])('reports %s=%j by name and reason instead of accepting it', (variable, value, reason) => {
    const { config, errors } = loadConfig({ [variable]: value });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.variable).toBe(variable);
    expect(errors[0]?.message).toMatch(reason);
    expect(config).toEqual(CONFIG_DEFAULTS);
  });

  it('collects every invalid variable, not just the first', () => {
    const { errors } = loadConfig({ OBS_ENABLED: 'x', LOG_LEVEL: 'y', LOG_SAMPLING_RATE_INFO: 'z' });
    expect(errors.map((e) => e.variable).sort()).toEqual(['LOG_LEVEL', 'LOG_SAMPLING_RATE_INFO', 'OBS_ENABLED']);
  });

  it('never echoes the admin token in an error', () => {
    const { errors } = loadConfig({ OBS_ADMIN_TOKEN: 'tiny-secret' });
    expect(JSON.stringify(errors)).not.toContain('tiny-secret');
  });

  it('lets values given in code win over the environment', () => {
    const { config } = loadConfig({ OTEL_SERVICE_NAME: 'from-env', LOG_LEVEL: 'debug' }, { service: 'from-code' });
    expect(config.service).toBe('from-code');
    expect(config.logLevel).toBe('debug');
  });

  it('throws at construction for an invalid value given in code', () => {
    expect(() => loadConfig({}, { logSamplingRateInfo: 2 })).toThrow(/logSamplingRateInfo must be a number between 0 and 1, got 2/);
    expect(() => loadConfig({}, { logLevel: 'loud' as never })).toThrow(/logLevel must be one of/);
    expect(() => loadConfig({}, { logMaxStringLength: 10 })).toThrow(/logMaxStringLength must be a whole number from 64 to 1073741824, got 10/);
    expect(() => loadConfig({}, { logMaxLineBytes: 2048.5 })).toThrow(/logMaxLineBytes must be a whole number from 1024/);
  });
});

describe('distinctConfigErrors', () => {
  it('keeps each problem once, in order: tracing and log export read the same OTLP variables', () => {
    const endpoint = { variable: 'OTEL_EXPORTER_OTLP_ENDPOINT', message: 'expected an http(s) URL, got "x"' };
    const level = { variable: 'LOG_LEVEL', message: 'expected one of …' };
    expect(distinctConfigErrors([level, endpoint, { ...endpoint }, { ...endpoint, message: 'other' }])).toEqual([level, endpoint, { ...endpoint, message: 'other' }]);
  });
});

describe('sightline settings, one rule for every value', () => {
  it('checks every value given in code as the environment would be, naming it and the value', () => {
    expect(() => loadConfig({}, { shutdownDrainDelayMs: -1 })).toThrow(SettingsError);
    expect(() => loadConfig({}, { adminToken: 'short' })).toThrow(/options.adminToken must be at least 16 characters, got "\[redacted\]"/);
    expect(() => loadConfig({}, { enabled: 'yes' as never })).toThrow(/options.enabled must be true or false, got "yes"/);
    expect(() => loadConfig({}, { service: ' ' })).toThrow(/options.service must not be empty/);
  });

  it('reports the environment problems with the one given in code, in one error', () => {
    expect(() => loadConfig({ LOG_LEVEL: 'loud' }, { logSamplingRateInfo: 2 })).toThrow(
      'sightline configuration rejected:\n  LOG_LEVEL="loud": expected one of',
    );
  });

  it('reads ADMIN_SECRET when OBS_ADMIN_TOKEN is invalid, reporting the invalid one', () => {
    const { config, errors } = loadConfig({ OBS_ADMIN_TOKEN: 'short', ADMIN_SECRET: 'sibling-service-secret' });
    expect(config.adminToken).toBe('sibling-service-secret');
    expect(errors).toEqual([{ variable: 'OBS_ADMIN_TOKEN', message: 'must be at least 16 characters' }]);
  });

  it('documents each variable it reads, with the default it keeps', () => {
    const rows = new Map(SIGHTLINE_SETTINGS.variables.map((row) => [row.name, row]));
    expect([...rows.keys()].sort()).toEqual([...CONFIG_VARIABLE_NAMES].sort());
    expect(rows.get('APP_ENV')?.default).toBe('`NODE_ENV`, else `development`');
    expect(rows.get('OBS_ADMIN_TOKEN')?.default).toBe('`ADMIN_SECRET`, else unset');
    expect(rows.get('OBS_METRICS_PREFIX')?.default).toBe('empty');
    expect(rows.get('OBS_SHUTDOWN_GRACE_PERIOD_MS')?.default).toBe('20000');
  });
});
