/**
 * Telemetry event names and the patterns that select them.
 *
 * A name is dot-separated segments of `a-z`, `0-9` and `_` (`pool.saturated`). A pattern is
 * a name in which some segments are `*`: a `*` at the start or at the end stands for one or
 * more segments (`pool.*`, `*.crashed`, and `*` alone for every name); a `*` between two
 * segments stands for exactly one (`pool.*.failed`).
 */

const EVENT_NAME = /^[a-z0-9_]+(?:\.[a-z0-9_]+)*$/;
const PATTERN_SEGMENT = /^(?:[a-z0-9_]+|\*)$/;
const ONE_SEGMENT = '[a-z0-9_]+';
const ONE_OR_MORE_SEGMENTS = '[a-z0-9_]+(?:\\.[a-z0-9_]+)*';

/** Longer names are refused: a name is a metric label value and a log field. */
export const MAX_EVENT_NAME_LENGTH = 128;

export function isEventName(name: unknown): name is string {
  return typeof name === 'string' && name.length <= MAX_EVENT_NAME_LENGTH && EVENT_NAME.test(name);
}

export interface EventPattern {
  /** The pattern as written. */
  readonly source: string;
  /** True for a plain event name (no `*`). */
  readonly exact: boolean;
  /** How many segments are not `*`: between two patterns that match a name, the higher wins. */
  readonly literalSegments: number;
  matches(name: string): boolean;
}

/** The pattern, or undefined when `source` is not one (for filters that come from a query string). */
export function parseEventPattern(source: unknown): EventPattern | undefined {
  if (typeof source !== 'string' || source.length === 0 || source.length > MAX_EVENT_NAME_LENGTH) return undefined;
  const segments = source.split('.');
  if (!segments.every((segment) => PATTERN_SEGMENT.test(segment))) return undefined;
  const literalSegments = segments.filter((segment) => segment !== '*').length;
  if (literalSegments === segments.length) {
    return { source, exact: true, literalSegments, matches: (name) => name === source };
  }
  const last = segments.length - 1;
  const body = segments
    .map((segment, i) => (segment !== '*' ? segment : i === 0 || i === last ? ONE_OR_MORE_SEGMENTS : ONE_SEGMENT))
    .join('\\.');
  const regex = new RegExp(`^${body}$`);
  return { source, exact: false, literalSegments, matches: (name) => regex.test(name) };
}

/** Like parseEventPattern, but a bad pattern throws, quoting it. */
export function eventPattern(owner: string, source: unknown): EventPattern {
  const pattern = parseEventPattern(source);
  if (pattern === undefined) {
    throw new TypeError(
      `${owner}: ${JSON.stringify(source)} is not an event name or pattern; expected dot-separated segments of a-z, 0-9 and _ ` +
        `(at most ${MAX_EVENT_NAME_LENGTH} characters), with * for any segments, such as pool.saturated, pool.*, *.crashed or *`,
    );
  }
  return pattern;
}

/**
 * Values keyed by event name or pattern, looked up by event name: an exact name beats any
 * pattern, a pattern with more literal segments beats one with fewer, and between equals
 * the one set first wins.
 */
export interface PatternTable<T> {
  set(pattern: EventPattern, value: T): void;
  resolve(name: string): T | undefined;
  entries(): [string, T][];
}

export function createPatternTable<T>(): PatternTable<T> {
  const exact = new Map<string, T>();
  let patterns: { readonly pattern: EventPattern; value: T }[] = [];

  return {
    set(pattern, value) {
      if (pattern.exact) {
        exact.set(pattern.source, value);
        return;
      }
      const existing = patterns.find((entry) => entry.pattern.source === pattern.source);
      if (existing !== undefined) {
        existing.value = value;
        return;
      }
      // Array.prototype.sort is stable: equals keep the order they were set in.
      patterns = [...patterns, { pattern, value }].sort((a, b) => b.pattern.literalSegments - a.pattern.literalSegments);
    },
    resolve(name) {
      if (exact.has(name)) return exact.get(name);
      return patterns.find((entry) => entry.pattern.matches(name))?.value;
    },
    entries() {
      return [...exact.entries(), ...patterns.map((entry): [string, T] => [entry.pattern.source, entry.value])];
    },
  };
}
