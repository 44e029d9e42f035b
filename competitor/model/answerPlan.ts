import type { ModelProfile } from './profiles';
import { seededRandom } from './seededRandom';

/** One token of the answer, written `delayMs` after the previous step (the first: after the request arrived). */
export interface TokenStep {
  readonly kind: 'token';
  readonly delayMs: number;
  readonly text: string;
}

/** The stream fails here, `delayMs` after the previous step. */
export interface FailStep {
  readonly kind: 'fail';
  readonly delayMs: number;
  readonly message: string;
}

export type AnswerStep = TokenStep | FailStep;

export interface AnswerPlan {
  /** Set when the request fails before any token: answer an error instead of a stream. */
  readonly failBeforeFirstToken: { readonly delayMs: number; readonly message: string } | undefined;
  readonly steps: readonly AnswerStep[];
  /** Index of the step preceded by a stall, if any. */
  readonly stallAt: number | undefined;
}

const WORDS = [
  'the', 'stream', 'gateway', 'answers', 'every', 'request', 'with', 'a', 'trace', 'that', 'follows',
  'its', 'tokens', 'through', 'each', 'service', 'and', 'back', 'latency', 'stays', 'low', 'while',
  'metrics', 'count', 'what', 'matters', 'logs', 'tell', 'story', 'of', 'one', 'call', 'from', 'arrival',
  'to', 'completion', 'sandbox', 'runs', 'tools', 'safely', 'in', 'child', 'processes', 'queue', 'waits',
  'briefly', 'first', 'token', 'arrives', 'soon', 'gaps', 'remain', 'short', 'keepalive', 'frames',
  'hold', 'connection', 'open', 'operators', 'sleep', 'well', 'tonight', 'because', 'alerts', 'are', 'tested',
];

/**
 * What the simulated model will say and when, drawn from the prompt: the same prompt and
 * profile always give the same plan, so tests can predict the output.
 */
export function planAnswer(prompt: string, profile: ModelProfile): AnswerPlan {
  const random = seededRandom(prompt);
  const jitter = (): number => Math.floor(random() * (profile.jitterMs + 1));
  if (random() < profile.failBeforeFirstTokenProbability) {
    return {
      failBeforeFirstToken: { delayMs: Math.floor(profile.ttftMs / 2), message: 'The model failed before its first token' },
      steps: [],
      stallAt: undefined,
    };
  }
  const count = profile.tokensPerAnswer;
  const stalls = random() < profile.stallProbability;
  const stallAt = stalls && count > 1 ? 1 + Math.floor(random() * (count - 1)) : undefined;
  const fails = random() < profile.failMidStreamProbability;
  const failAt = fails && count > 1 ? 1 + Math.floor(random() * (count - 1)) : undefined;

  const steps: AnswerStep[] = [];
  for (let index = 0; index < count; index += 1) {
    let delayMs = index === 0 ? profile.ttftMs : profile.tokenIntervalMs;
    delayMs += jitter();
    if (index === stallAt) delayMs += profile.stallMs;
    if (index === failAt) {
      steps.push({ kind: 'fail', delayMs, message: 'The model failed mid-stream' });
      break;
    }
    const word = WORDS[Math.floor(random() * WORDS.length)] ?? 'token';
    const text = index === 0 ? capitalise(word) : index === count - 1 ? ` ${word}.` : ` ${word}`;
    steps.push({ kind: 'token', delayMs, text });
  }
  return { failBeforeFirstToken: undefined, steps, stallAt };
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
