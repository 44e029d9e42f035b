import type { DropReason } from './eventBusTypes';
import { createPatternTable, eventPattern, isEventName } from './eventPattern';
import { createTokenBucket, type TokenBucket } from './tokenBucket';

/** Which events the bus keeps: sampling rates and rate limits by event name or pattern. */
export interface EventPolicyOptions {
  /** Share of events kept (0..1) by name or pattern. */
  readonly sampling: Readonly<Record<string, number>>;
  /** Events per second by name or pattern; a pattern's limit is shared by all the names it matches. */
  readonly rateLimits: Readonly<Record<string, number>>;
  readonly now: () => number;
  readonly random: () => number;
}

/** The rules that apply to one event name. */
export interface NameRules {
  readonly samplingRate: number;
  readonly bucket: TokenBucket | undefined;
}

/** The reasons the policy leaves an event out. */
export type PolicyDrop = Extract<DropReason, 'sampling' | 'rate_limit'>;

/** Decides which events go on to delivery; knows nothing of consumers. */
export interface EventPolicy {
  /** The rules for `name`, or undefined when it is not an event name. */
  rulesFor(name: string): NameRules | undefined;
  /** Why this event is left out, or undefined when it is kept (and took a rate-limit token). */
  refusal(rules: NameRules): PolicyDrop | undefined;
  /** Throws, quoting them, on a bad pattern or rate, and then keeps the old rate. */
  setSamplingRate(pattern: string, rate: number): void;
  samplingRates(): Readonly<Record<string, number>>;
}

/** Rules per name are cleared when they reach this size: an application may emit many distinct names. */
const NAME_CACHE_LIMIT = 1024;

/**
 * The bus's admission policy. Each name's rules are resolved from the patterns once and
 * cached, so a kept event costs a map lookup, at most one `random()` and one bucket update.
 */
export function createEventPolicy(options: EventPolicyOptions): EventPolicy {
  const { now, random } = options;
  const samplingTable = createPatternTable<number>();
  for (const [pattern, rate] of Object.entries(options.sampling)) {
    samplingTable.set(eventPattern('eventBus sampling', pattern), checkRate(pattern, rate));
  }
  const bucketTable = createPatternTable<TokenBucket>();
  for (const [pattern, perSecond] of Object.entries(options.rateLimits)) {
    if (typeof perSecond !== 'number' || !(Number.isFinite(perSecond) && perSecond > 0)) {
      throw new TypeError(`eventBus: rate limit of ${JSON.stringify(pattern)} must be a positive number of events per second, got ${String(perSecond)}`);
    }
    bucketTable.set(eventPattern('eventBus rateLimits', pattern), createTokenBucket(perSecond, now));
  }
  // A name is only cached once validated, so a cache hit needs no second check.
  const rulesByName = new Map<string, NameRules>();

  return {
    rulesFor(name) {
      let rules = rulesByName.get(name);
      if (rules === undefined) {
        if (!isEventName(name)) return undefined;
        if (rulesByName.size >= NAME_CACHE_LIMIT) rulesByName.clear();
        rules = { samplingRate: samplingTable.resolve(name) ?? 1, bucket: bucketTable.resolve(name) };
        rulesByName.set(name, rules);
      }
      return rules;
    },

    refusal(rules) {
      if (rules.samplingRate < 1 && !(random() < rules.samplingRate)) return 'sampling';
      if (rules.bucket !== undefined && !rules.bucket.take()) return 'rate_limit';
      return undefined;
    },

    setSamplingRate(patternSource, rate) {
      const pattern = eventPattern('eventBus.setSamplingRate', patternSource);
      samplingTable.set(pattern, checkRate(patternSource, rate));
      rulesByName.clear();
    },

    samplingRates() {
      return Object.fromEntries(samplingTable.entries());
    },
  };
}

function checkRate(pattern: string, rate: unknown): number {
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
    throw new TypeError(`eventBus: sampling rate of ${JSON.stringify(pattern)} must be a number from 0 to 1, got ${typeof rate === 'string' ? JSON.stringify(rate) : String(rate)}`);
  }
  return rate;
}
