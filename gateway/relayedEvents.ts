import { isOpenAiContentEvent, type ObserveStreamOptions } from '../middleware';

/** One data event of a relayed stream, as sightline's stream observation parsed it. */
export type RelayedEvent = Parameters<NonNullable<ObserveStreamOptions['isContent']>>[0];

/** A `delta.janus` event of the competitor contract (tool and sandbox lifecycle). */
export interface JanusEvent {
  readonly event: string;
  readonly payload: unknown;
}

export interface RelayedEventReaderHooks {
  /** A data event that is not a JSON object nor `[DONE]`, or JSON the reader needed and could not parse. */
  readonly parseError: () => void;
  /** Called once, at the first event carrying content. */
  readonly firstContent: () => void;
  /** Each janus event kept (at most `MAX_JANUS_EVENTS`). */
  readonly janus: (entry: JanusEvent) => void;
  /** Whether the relay is over: events it writes itself then (its own error event) are not the upstream's. */
  readonly ended: () => boolean;
}

/** What the relay learns from the events it passed on. */
export interface RelayedEventReader {
  /** sightline's `isContent` judge, called synchronously for each data event as it is written. */
  isContent(event: RelayedEvent): boolean;
  /** The message of the first top-level error event the upstream sent. */
  readonly upstreamError: string | undefined;
  /** Janus events kept for the log line; undefined when there were none. */
  readonly janusEvents: readonly JanusEvent[] | undefined;
}

/** Janus events kept for the log line; a stream may carry thousands. */
export const MAX_JANUS_EVENTS = 50;
/** A janus event's payload is kept only when its event is this small; a tool's whole output would pin memory. */
const MAX_JANUS_EVENT_CHARS = 2048;
const MAX_ERROR_MESSAGE = 500;

const OPEN_BRACE = 0x7b;
const COLON = 0x3a;
const ERROR_KEY = '"error"';
const JANUS_KEY = '"janus"';
const DONE = '[DONE]';
const NOT_PARSED = Symbol('not parsed');

/**
 * Reads the events of a competitor's stream as they are relayed. Text checks decide; JSON is
 * parsed only for the rare events carrying an `error` or `janus` object.
 */
export function createRelayedEventReader(hooks: RelayedEventReaderHooks): RelayedEventReader {
  let sawContent = false;
  let upstreamError: string | undefined;
  let janusEvents: JanusEvent[] | undefined;

  function parseEvent(data: string): unknown {
    const parsed = parseJson(data);
    if (parsed === undefined) hooks.parseError();
    return parsed;
  }

  function noteUpstreamError(error: { message?: unknown }): void {
    if (upstreamError !== undefined || hooks.ended()) return;
    const message = typeof error.message === 'string' && error.message !== '' ? error.message : 'error event';
    upstreamError = message.slice(0, MAX_ERROR_MESSAGE);
  }

  function noteJanus(parsed: unknown, size: number): void {
    const janus = (deltaOf(parsed)?.janus ?? (parsed as { janus?: unknown } | undefined)?.janus) as
      | { event?: unknown; payload?: unknown }
      | undefined;
    if (typeof janus !== 'object' || janus === null || typeof janus.event !== 'string') return;
    const payload = size <= MAX_JANUS_EVENT_CHARS ? janus.payload : { omitted: true, event_chars: size };
    const entry: JanusEvent = { event: janus.event.slice(0, 64), payload };
    janusEvents ??= [];
    if (janusEvents.length >= MAX_JANUS_EVENTS) return;
    janusEvents.push(entry);
    hooks.janus(entry);
  }

  return {
    isContent(event) {
      const { data } = event;
      if (firstNonSpace(data) !== OPEN_BRACE) {
        if (data !== DONE) hooks.parseError();
        return false;
      }
      let parsed: unknown = NOT_PARSED;
      if (objectFollowsKey(data, ERROR_KEY)) {
        parsed = parseEvent(data);
        const error = (parsed as { error?: unknown } | undefined)?.error;
        // Only a top-level `error` ends a stream; a tool's error inside a janus payload does not.
        if (typeof error === 'object' && error !== null) {
          noteUpstreamError(error as { message?: unknown });
          return false;
        }
      }
      if (objectFollowsKey(data, JANUS_KEY)) {
        if (parsed === NOT_PARSED) parsed = parseEvent(data);
        noteJanus(parsed, data.length);
      }
      // A parsed chunk is judged by its delta alone, so a payload's own `content` does not count.
      const content = parsed === NOT_PARSED ? isOpenAiContentEvent(event) : deltaCarriesContent(parsed);
      if (content && !sawContent) {
        sawContent = true;
        hooks.firstContent();
      }
      return content;
    },
    get upstreamError() {
      return upstreamError;
    },
    get janusEvents() {
      return janusEvents;
    },
  };
}

/** `isOpenAiContentEvent`'s decision on a parsed chunk, from `choices[0].delta` only. */
export function deltaCarriesContent(parsed: unknown): boolean {
  const delta = deltaOf(parsed);
  if (delta === undefined) return false;
  const { content, reasoning_content: reasoning, tool_calls: toolCalls } = delta;
  return (
    (typeof content === 'string' && content !== '') ||
    (typeof reasoning === 'string' && reasoning !== '') ||
    (Array.isArray(toolCalls) && toolCalls.length > 0)
  );
}

function deltaOf(parsed: unknown): Record<string, unknown> | undefined {
  const delta = (parsed as { choices?: { delta?: unknown }[] } | undefined)?.choices?.[0]?.delta;
  return typeof delta === 'object' && delta !== null ? (delta as Record<string, unknown>) : undefined;
}

/** Whether `key` appears with an object as its value (`"error": {`). */
export function objectFollowsKey(data: string, key: string): boolean {
  for (let at = data.indexOf(key); at !== -1; at = data.indexOf(key, at + key.length)) {
    const value = valueStart(data, at + key.length);
    if (value !== -1 && data.charCodeAt(value) === OPEN_BRACE) return true;
  }
  return false;
}

/** Index of the value after a key (past `:` and whitespace), or -1 when no colon follows. */
function valueStart(data: string, afterKey: number): number {
  const colon = skipSpace(data, afterKey);
  if (data.charCodeAt(colon) !== COLON) return -1;
  return skipSpace(data, colon + 1);
}

function skipSpace(data: string, from: number): number {
  let i = from;
  for (let c = data.charCodeAt(i); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = data.charCodeAt(++i));
  return i;
}

function firstNonSpace(data: string): number {
  return data.charCodeAt(skipSpace(data, 0));
}

function parseJson(data: string): unknown {
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return undefined;
  }
}
