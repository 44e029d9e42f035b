import { createGatewayApp } from '../../gateway/app';
import { GATEWAY_ENV_VARIABLES, GatewayConfigError, loadGatewayConfig } from '../../gateway/config';
import { deltaCarriesContent, objectFollowsKey } from '../../gateway/relayedEvents';
import { captureLogs } from '../../src/testing';

function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayConfigError);
    return (error as GatewayConfigError).problems.map((p) => `${p.variable}: ${p.message}`);
  }
  throw new Error('expected the configuration to be rejected');
}

describe('gateway configuration', () => {
  it('has defaults for everything', () => {
    const config = loadGatewayConfig({});
    expect(config).toMatchObject({
      port: 8080,
      connectTimeoutMs: 2000,
      firstTokenTimeoutMs: 30_000,
      idleTimeoutMs: 15_000,
      totalTimeoutMs: 300_000,
      keepaliveIntervalMs: 1000,
      maxBufferedBytes: 1024 * 1024,
      slowClientTimeoutMs: 10_000,
      contractTtftMs: 2000,
      contractGapMs: 2000,
      breakerErrorPercent: 50,
      breakerVolumeThreshold: 5,
      breakerResetMs: 10_000,
      breakerJitter: 0.2,
    });
    expect(config.competitors).toEqual([
      { id: 'baseline', url: 'http://127.0.0.1:8081' },
      { id: 'fast', url: 'http://127.0.0.1:8082' },
      { id: 'flaky', url: 'http://127.0.0.1:8083' },
    ]);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.competitors)).toBe(true);
  });

  it('reads the environment, and values given in code win', () => {
    const config = loadGatewayConfig(
      { PORT: '9000', GATEWAY_IDLE_TIMEOUT_MS: '500', GATEWAY_COMPETITORS: ' a=http://h:1/base/ , b=https://x ' },
      { idleTimeoutMs: 700 },
    );
    expect(config).toMatchObject({ port: 9000, idleTimeoutMs: 700 });
    expect(config.competitors).toEqual([
      { id: 'a', url: 'http://h:1/base' },
      { id: 'b', url: 'https://x' },
    ]);
  });

  it('names every bad variable with its value and the reason', () => {
    const problems = problemsOf(() =>
      loadGatewayConfig({
        PORT: 'eighty',
        GATEWAY_KEEPALIVE_INTERVAL_MS: '1.5',
        GATEWAY_BREAKER_ERROR_PERCENT: '100',
        GATEWAY_COMPETITORS: 'a=http://x,a=http://y,B=http://z,c=ftp://w,d,none=http://n',
      }),
    );
    expect(problems).toEqual([
      'PORT: must be a number',
      expect.stringContaining('GATEWAY_COMPETITORS: id "a" is listed twice'),
      'GATEWAY_KEEPALIVE_INTERVAL_MS: must be a whole number of milliseconds',
      'GATEWAY_BREAKER_ERROR_PERCENT: must be below 100',
    ]);
    expect(problems[1]).toContain('id "B" must be 1-32 characters');
    expect(problems[1]).toContain('c: url must use http or https, got "ftp:"');
    expect(problems[1]).toContain('entry "d" is not id=url');
    expect(problems[1]).toContain('id "none" is reserved');
    const error = (() => {
      try {
        loadGatewayConfig({ PORT: 'eighty' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toContain('PORT="eighty": must be a number');
  });

  it('rejects timeouts longer than the total timeout, and bad values given in code', () => {
    expect(problemsOf(() => loadGatewayConfig({ GATEWAY_IDLE_TIMEOUT_MS: '400000' }))).toEqual([
      'GATEWAY_IDLE_TIMEOUT_MS: must not exceed GATEWAY_TOTAL_TIMEOUT_MS (300000)',
    ]);
    expect(problemsOf(() => loadGatewayConfig({}, { competitors: [], breakerJitter: 1 }))).toEqual([
      'options.competitors: at least one competitor is needed',
      'options.breakerJitter: must be below 1',
    ]);
  });

  it('refuses an empty variable instead of falling back to its default', () => {
    expect(problemsOf(() => loadGatewayConfig({ PORT: '', GATEWAY_HOST: ' ' }))).toEqual(['PORT: must be a number', 'GATEWAY_HOST: must not be empty']);
  });

  it('quotes a bad value given in code with its option, and the environment problems with it', () => {
    const error = (() => {
      try {
        loadGatewayConfig({ PORT: 'eighty' }, { idleTimeoutMs: 0.5 });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toBe(
      'gateway configuration rejected:\n  PORT="eighty": must be a number\n  options.idleTimeoutMs must be a whole number of milliseconds, got 0.5',
    );
  });

  it('lists every variable with its default and meaning, for the README', () => {
    expect(GATEWAY_ENV_VARIABLES.map((v) => v.name)).toEqual([
      'PORT',
      'GATEWAY_HOST',
      'GATEWAY_COMPETITORS',
      'GATEWAY_UPSTREAM_MAX_SOCKETS',
      'GATEWAY_CONNECT_TIMEOUT_MS',
      'GATEWAY_FIRST_TOKEN_TIMEOUT_MS',
      'GATEWAY_IDLE_TIMEOUT_MS',
      'GATEWAY_TOTAL_TIMEOUT_MS',
      'GATEWAY_KEEPALIVE_INTERVAL_MS',
      'GATEWAY_MAX_BUFFERED_BYTES',
      'GATEWAY_MAX_FRAME_BYTES',
      'GATEWAY_SLOW_CLIENT_TIMEOUT_MS',
      'GATEWAY_CONTRACT_TTFT_MS',
      'GATEWAY_CONTRACT_GAP_MS',
      'GATEWAY_BREAKER_ERROR_PERCENT',
      'GATEWAY_BREAKER_VOLUME_THRESHOLD',
      'GATEWAY_BREAKER_RESET_MS',
      'GATEWAY_BREAKER_JITTER',
      'GATEWAY_BREAKER_WINDOW_MS',
    ]);
    for (const variable of GATEWAY_ENV_VARIABLES) {
      expect(variable.meaning).not.toBe('');
      expect(loadGatewayConfig({ [variable.name]: variable.default })).toEqual(loadGatewayConfig({}));
    }
  });

  it('refuses to build a gateway from a bad configuration', () => {
    expect(() => createGatewayApp({ environment: { GATEWAY_COMPETITORS: 'x' }, logger: { transports: [captureLogs()] } })).toThrow(
      /GATEWAY_COMPETITORS="x": entry "x" is not id=url/,
    );
  });
});

describe('gateway content detection', () => {
  const chunk = (delta: unknown) => JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: null }] });

  it('decides on a parsed chunk (janus events) by its delta only', () => {
    expect(deltaCarriesContent(JSON.parse(chunk({ janus: { event: 'tool_end', payload: { content: 'x' } } })))).toBe(false);
    expect(deltaCarriesContent(JSON.parse(chunk({ content: 'x', janus: { event: 'tool_end' } })))).toBe(true);
    expect(deltaCarriesContent(JSON.parse(chunk({ reasoning_content: 'hmm' })))).toBe(true);
    expect(deltaCarriesContent(JSON.parse(chunk({ role: 'assistant', content: '' })))).toBe(false);
    expect(deltaCarriesContent(JSON.parse(chunk({ tool_calls: [{ index: 0 }] })))).toBe(true);
    expect(deltaCarriesContent(JSON.parse(chunk({ tool_calls: [] })))).toBe(false);
    expect(deltaCarriesContent(undefined)).toBe(false);
  });

  it('tells an error object from the word error, whitespace allowed', () => {
    expect(objectFollowsKey('{"error": {"message":"x"}}', '"error"')).toBe(true);
    expect(objectFollowsKey('{"error"\t:\n{"message":"x"}}', '"error"')).toBe(true);
    expect(objectFollowsKey(chunk({ content: 'error' }), '"error"')).toBe(false);
    expect(objectFollowsKey(chunk({ content: 'the "error": { was here' }), '"error"')).toBe(false);
    expect(objectFollowsKey('{"error":"text"}', '"error"')).toBe(false);
  });
});
