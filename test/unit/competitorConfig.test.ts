import { COMPETITOR_ENVIRONMENT, loadCompetitorConfig } from '../../competitor/config';
import { PROFILES } from '../../competitor/model/profiles';
import { SettingsError } from '../../src';

function problemsOf(environment: Record<string, string>): string[] {
  try {
    loadCompetitorConfig(environment);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as SettingsError).problems.map((p) => `${p.variable}=${String(p.value)}: ${p.message}`);
  }
  throw new Error('expected the configuration to be rejected');
}

describe('competitor configuration', () => {
  it('has defaults for everything', () => {
    expect(loadCompetitorConfig({})).toEqual({
      port: 8081,
      host: '127.0.0.1',
      competitorId: 'baseline',
      profile: PROFILES.baseline,
      backend: 'simulated',
      upstreamUrl: undefined,
      upstreamApiKey: undefined,
      upstreamModel: undefined,
      keepaliveIntervalMs: 1000,
      sandbox: { size: 4, queueMax: 32, queueTimeoutMs: 5000, callTimeoutMs: 30_000, crashStormCount: 5, crashStormWindowMs: 60_000 },
      sessionTtlMs: 1_800_000,
      sessionCleanupIntervalMs: 60_000,
    });
  });

  it('reads the environment: profile fields, the upstream, and WORKER_MAX_CONCURRENT for an unset pool size', () => {
    const config = loadCompetitorConfig({
      COMPETITOR_PROFILE: 'fast',
      COMPETITOR_TTFT_MS: '700',
      COMPETITOR_BACKEND: 'openai',
      COMPETITOR_UPSTREAM_URL: 'https://llm.example/v1/',
      CHUTES_API_KEY: 'key-123',
      WORKER_MAX_CONCURRENT: '8',
    });
    expect(config.profile).toEqual({ ...PROFILES.fast, ttftMs: 700 });
    expect(config).toMatchObject({ backend: 'openai', upstreamUrl: 'https://llm.example/v1', upstreamApiKey: 'key-123', sandbox: { size: 8 } });
    expect(loadCompetitorConfig({ WORKER_MAX_CONCURRENT: '8', SANDBOX_POOL_SIZE: '2' }).sandbox.size).toBe(2);
  });

  it('refuses to start, naming every bad variable with its value, the key never shown', () => {
    expect(
      problemsOf({ PORT: '70000', COMPETITOR_PROFILE: 'turbo', COMPETITOR_STALL_PROBABILITY: '2', CHUTES_API_KEY: ' ', SESSION_TTL_MS: '1.5' }),
    ).toEqual([
      'PORT=70000: must be at most 65535',
      'COMPETITOR_PROFILE=turbo: must be one of baseline, fast, slow, flaky, instant',
      expect.stringMatching(/^COMPETITOR_STALL_PROBABILITY=2: .*1/),
      'CHUTES_API_KEY=[redacted]: must not be empty',
      'SESSION_TTL_MS=1.5: must be a whole number',
    ]);
  });

  it('refuses an empty variable instead of falling back to its default', () => {
    expect(problemsOf({ PORT: '', COMPETITOR_HOST: '' })).toEqual(['PORT=: must be a number', 'COMPETITOR_HOST=: must not be empty']);
  });

  it('needs an upstream URL for the openai backend', () => {
    expect(() => loadCompetitorConfig({ COMPETITOR_BACKEND: 'openai' })).toThrow(
      'competitor configuration rejected:\n  COMPETITOR_UPSTREAM_URL (unset): is required when COMPETITOR_BACKEND=openai',
    );
  });

  it('lists every variable it reads, one row each', () => {
    const names = COMPETITOR_ENVIRONMENT.map((variable) => variable.name);
    expect(names).toContain('COMPETITOR_TTFT_MS');
    expect(names).toContain('WORKER_MAX_CONCURRENT');
    expect(names.every((name) => /^[A-Z][A-Z0-9_]+$/.test(name))).toBe(true);
    expect(COMPETITOR_ENVIRONMENT.find((variable) => variable.name === 'SANDBOX_POOL_SIZE')?.default).toBe('`WORKER_MAX_CONCURRENT`, else `4`');
  });
});
