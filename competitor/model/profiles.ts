import { z } from 'zod';

/** How the simulated model behaves: latency, stalls and faults. Durations in milliseconds. */
export interface ModelProfile {
  readonly name: string;
  /** Request arrival to the first token. */
  readonly ttftMs: number;
  /** Between two tokens. */
  readonly tokenIntervalMs: number;
  /** Up to this much is added to each delay, drawn from the prompt's seed. */
  readonly jitterMs: number;
  /** Chance that one gap in the answer is a stall of `stallMs`. */
  readonly stallProbability: number;
  readonly stallMs: number;
  /** Chance the request fails before any token (an HTTP 500, no stream). */
  readonly failBeforeFirstTokenProbability: number;
  /** Chance the stream fails part-way (an SSE error event, then the end). */
  readonly failMidStreamProbability: number;
  readonly tokensPerAnswer: number;
}

export const PROFILE_NAMES = ['baseline', 'fast', 'slow', 'flaky', 'instant'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/**
 * `baseline`, `fast` keep the streaming contract (first token and every gap under 2 s);
 * `slow` misses the first-token target and stalls; `flaky` stalls and fails; `instant`
 * has no latency at all, for measuring what sits in front of the competitor.
 */
export const PROFILES: Readonly<Record<ProfileName, ModelProfile>> = {
  baseline: {
    name: 'baseline',
    ttftMs: 300,
    tokenIntervalMs: 40,
    jitterMs: 20,
    stallProbability: 0,
    stallMs: 0,
    failBeforeFirstTokenProbability: 0,
    failMidStreamProbability: 0,
    tokensPerAnswer: 40,
  },
  fast: {
    name: 'fast',
    ttftMs: 60,
    tokenIntervalMs: 10,
    jitterMs: 5,
    stallProbability: 0,
    stallMs: 0,
    failBeforeFirstTokenProbability: 0,
    failMidStreamProbability: 0,
    tokensPerAnswer: 30,
  },
  slow: {
    name: 'slow',
    ttftMs: 2500,
    tokenIntervalMs: 150,
    jitterMs: 100,
    stallProbability: 0.3,
    stallMs: 3000,
    failBeforeFirstTokenProbability: 0,
    failMidStreamProbability: 0,
    tokensPerAnswer: 40,
  },
  flaky: {
    name: 'flaky',
    ttftMs: 400,
    tokenIntervalMs: 50,
    jitterMs: 40,
    stallProbability: 0.2,
    stallMs: 2500,
    failBeforeFirstTokenProbability: 0.15,
    failMidStreamProbability: 0.15,
    tokensPerAnswer: 40,
  },
  instant: {
    name: 'instant',
    ttftMs: 0,
    tokenIntervalMs: 0,
    jitterMs: 0,
    stallProbability: 0,
    stallMs: 0,
    failBeforeFirstTokenProbability: 0,
    failMidStreamProbability: 0,
    tokensPerAnswer: 20,
  },
};

const duration = z.number().int().min(0).max(600_000);
const probability = z.number().min(0).max(1);

export const profileOverridesSchema = z
  .object({
    ttftMs: duration,
    tokenIntervalMs: duration,
    jitterMs: duration,
    stallProbability: probability,
    stallMs: duration,
    failBeforeFirstTokenProbability: probability,
    failMidStreamProbability: probability,
    tokensPerAnswer: z.number().int().min(1).max(100_000),
  })
  .partial()
  .strict();

export type ProfileOverrides = z.infer<typeof profileOverridesSchema>;

/** A predefined profile with some fields replaced; a bad field throws naming it. */
export function resolveProfile(name: ProfileName, overrides: ProfileOverrides = {}): ModelProfile {
  const parsed = profileOverridesSchema.safeParse(overrides);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TypeError(`model profile: ${issue?.path.join('.') || 'overrides'}: ${issue?.message ?? 'invalid'}`);
  }
  const base = PROFILES[name];
  if (base === undefined) throw new TypeError(`model profile: unknown profile ${JSON.stringify(name)}, expected one of ${PROFILE_NAMES.join(', ')}`);
  const defined = Object.fromEntries(Object.entries(parsed.data).filter(([, value]) => value !== undefined));
  return Object.freeze({ ...base, ...defined });
}
