import { createObservability } from '../../middleware';
import { createRuntimeSettings, type EventSamplingControl } from '../../src/runtimeSettings';
import { captureLogs } from '../../src/testing';

function fixture(events?: EventSamplingControl) {
  const logs = captureLogs();
  const { logger } = createObservability({ environment: {}, logger: { transports: [logs] } });
  return { logs, logger, settings: createRuntimeSettings({ logger, logSamplingRateInfo: 1, events }) };
}

function samplingControl(): EventSamplingControl {
  const rates: Record<string, number> = {};
  return {
    samplingRates: () => ({ ...rates }),
    setSamplingRate: (pattern, rate) => {
      rates[pattern] = rate;
    },
  };
}

describe('createRuntimeSettings', () => {
  it('answers the current settings', () => {
    const { settings } = fixture(samplingControl());
    expect(settings.view()).toEqual({ log_level: 'info', log_sampling_rate_info: 1, event_sampling: {} });
  });

  it('applies a valid patch at once and logs each change with its old and new value', () => {
    const { settings, logger, logs } = fixture(samplingControl());
    const update = settings.update({ log_level: 'debug', log_sampling_rate_info: 0.25, event_sampling: { 'pool.*': 0.5 } });
    expect(update.ok).toBe(true);
    expect(logger.level).toBe('debug');
    expect(settings.logSamplingRateInfo).toBe(0.25);
    expect(settings.view().event_sampling).toEqual({ 'pool.*': 0.5 });
    expect(logs.find('setting changed at run time').map(({ setting, old, new: value }) => [setting, old, value])).toEqual([
      ['log_level', 'info', 'debug'],
      ['log_sampling_rate_info', 1, 0.25],
      ['event_sampling.pool.*', 1, 0.5],
    ]);
  });

  it('changes nothing when any value is invalid, and names every bad field with what is allowed', () => {
    const { settings, logger } = fixture(samplingControl());
    const update = settings.update({ log_level: 'loud', log_sampling_rate_info: 0.5 });
    expect(update).toEqual({
      ok: false,
      errors: [{ field: 'log_level', message: expect.stringContaining('expected one of fatal, error, warn, info') }],
    });
    expect(logger.level).toBe('info');
    expect(settings.logSamplingRateInfo).toBe(1);
  });

  it.each([
    [{ log_sampling_rate_info: 2 }, 'log_sampling_rate_info', /between 0 and 1/],
    [{ log_sampling_rate_info: '0.5' }, 'log_sampling_rate_info', /between 0 and 1/],
    [{ event_sampling: { 'Bad Name': 0.5 } }, 'event_sampling.Bad Name', /event name or pattern/],
    [{ event_sampling: { 'pool.*': -1 } }, 'event_sampling.pool.*', /between 0 and 1/],
    [{ verbosity: 3 }, 'verbosity', /unknown setting; known: log_level/],
    [[1, 2], '(body)', /JSON object/],
    ['debug', '(body)', /JSON object/],
  ])('rejects %j naming %s', (patch, field, message) => {
    const { settings } = fixture(samplingControl());
    const update = settings.update(patch);
    expect(update.ok).toBe(false);
    if (update.ok) return;
    expect(update.errors).toContainEqual({ field, message: expect.stringMatching(message) });
  });

  it('refuses reserved keys at any depth, naming each, before anything else is checked', () => {
    const { settings } = fixture(samplingControl());
    const update = settings.update(JSON.parse('{"log_level":"loud","event_sampling":{"__proto__":{"pool.*":0.5},"constructor":0.5}}'));
    expect(update).toEqual({
      ok: false,
      errors: [
        { field: 'event_sampling.__proto__', message: 'reserved key; __proto__, constructor and prototype are refused' },
        { field: 'event_sampling.constructor', message: 'reserved key; __proto__, constructor and prototype are refused' },
      ],
    });
    expect(settings.view().event_sampling).toEqual({});
  });

  it('takes the old rate from the rates the bus holds, not from what their object inherits', () => {
    const inherited: EventSamplingControl = {
      samplingRates: () => Object.create({ 'pool.saturated': 0.25 }) as Record<string, number>,
      setSamplingRate: () => undefined,
    };
    const { settings } = fixture(inherited);
    const update = settings.update({ event_sampling: { 'pool.saturated': 0.25 } });
    expect(update.ok && update.changes).toEqual([{ setting: 'event_sampling.pool.saturated', old: 1, new: 0.25 }]);
  });

  it('refuses event sampling without an event bus', () => {
    const { settings } = fixture();
    expect(settings.update({ event_sampling: { '*': 0.5 } })).toEqual({
      ok: false,
      errors: [{ field: 'event_sampling', message: 'this instance has no event bus' }],
    });
  });
});
