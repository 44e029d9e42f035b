import { planAnswer } from '../../competitor/model/answerPlan';
import { PROFILES, resolveProfile } from '../../competitor/model/profiles';
import { seededRandom } from '../../competitor/model/seededRandom';
import { detectToolIntent } from '../../competitor/model/toolIntent';

describe('seededRandom', () => {
  it('draws the same numbers for the same seed and others for another', () => {
    const a = seededRandom('prompt');
    const b = seededRandom('prompt');
    const c = seededRandom('other prompt');
    const drawsA = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(drawsA);
    expect([c(), c(), c()]).not.toEqual(drawsA);
    for (const value of drawsA) expect(value >= 0 && value < 1).toBe(true);
  });
});

describe('planAnswer', () => {
  it('is deterministic per prompt and follows the profile timing', () => {
    const plan = planAnswer('hello', PROFILES.baseline);
    expect(planAnswer('hello', PROFILES.baseline)).toEqual(plan);
    expect(plan.steps).toHaveLength(PROFILES.baseline.tokensPerAnswer);
    const [first, second] = plan.steps;
    expect(first?.delayMs).toBeGreaterThanOrEqual(PROFILES.baseline.ttftMs);
    expect(first?.delayMs).toBeLessThanOrEqual(PROFILES.baseline.ttftMs + PROFILES.baseline.jitterMs);
    expect(second?.delayMs).toBeLessThanOrEqual(PROFILES.baseline.tokenIntervalMs + PROFILES.baseline.jitterMs);
  });

  it('keeps the contract for baseline and fast: first token and every gap under 2 s', () => {
    for (const profile of [PROFILES.baseline, PROFILES.fast]) {
      for (let index = 0; index < 200; index += 1) {
        const plan = planAnswer(`prompt ${index}`, profile);
        expect(plan.failBeforeFirstToken).toBeUndefined();
        expect(Math.max(...plan.steps.map((step) => step.delayMs))).toBeLessThan(2000);
      }
    }
  });

  it('fails, stalls and misses the first-token target as the profile says', () => {
    const always = resolveProfile('flaky', { failBeforeFirstTokenProbability: 1 });
    expect(planAnswer('x', always).failBeforeFirstToken).toMatchObject({ message: expect.any(String) });
    const midway = resolveProfile('baseline', { failMidStreamProbability: 1, tokensPerAnswer: 10 });
    const plan = planAnswer('x', midway);
    expect(plan.steps.at(-1)?.kind).toBe('fail');
    const stalls = resolveProfile('baseline', { stallProbability: 1, stallMs: 3000 });
    const stalled = planAnswer('x', stalls);
    expect(Math.max(...stalled.steps.map((step) => step.delayMs))).toBeGreaterThanOrEqual(3000);
    expect(planAnswer('x', PROFILES.slow).steps[0]?.delayMs).toBeGreaterThan(2000);
  });
});

describe('resolveProfile', () => {
  it('overrides fields and refuses bad ones naming them', () => {
    expect(resolveProfile('fast', { ttftMs: 5 }).ttftMs).toBe(5);
    expect(() => resolveProfile('fast', { stallProbability: 2 })).toThrow(/stallProbability/);
    expect(() => resolveProfile('fast', { ttftMS: 5 } as never)).toThrow(/model profile/);
  });
});

describe('detectToolIntent', () => {
  it('calls a built-in named at the start of the prompt', () => {
    expect(detectToolIntent('calc 2 + 2', undefined, undefined)).toEqual({ tool: 'calc', arguments: { expression: '2 + 2' } });
    expect(detectToolIntent('sleep 2s', undefined, undefined)).toEqual({ tool: 'sleep', arguments: { ms: 2000 } });
    expect(detectToolIntent('echo: hello there', undefined, undefined)).toEqual({ tool: 'echo', arguments: { text: 'hello there' } });
    expect(detectToolIntent('tell me a story', undefined, undefined)).toBeUndefined();
  });

  it('prefers the offered tool the prompt names, then the forced one, and none with tool_choice none', () => {
    const tools = [
      { type: 'function' as const, function: { name: 'search' } },
      { type: 'function' as const, function: { name: 'get_weather' } },
    ];
    expect(detectToolIntent('what does get_weather say?', tools, 'auto')?.tool).toBe('get_weather');
    expect(detectToolIntent('anything', tools, { type: 'function', function: { name: 'get_weather' } })?.tool).toBe('get_weather');
    expect(detectToolIntent('anything', tools, undefined)?.tool).toBe('search');
    expect(detectToolIntent('calc 1+1', tools, 'none')).toBeUndefined();
  });
});
