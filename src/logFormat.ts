import { LINE_CONTEXT, type ContextStore, type RequestContext } from './context';
import { isSampledLevel, MESSAGE } from './logLevels';
import type { LogStats } from './logStats';
import type { Redactor } from './redaction';

export interface LineIdentity {
  readonly service: string;
  readonly version: string;
  readonly env: string;
  /** `target` for lines that do not name their module. */
  readonly defaultTarget: string;
}

export interface LineFormatOptions {
  readonly identity: LineIdentity;
  readonly context: ContextStore;
  readonly redactor: Redactor;
  readonly stats: LogStats;
  /** Each finished line of a request, as written (the request timeline keeps them). */
  readonly onRequestLine?: (requestId: string, line: string) => void;
}

type Info = Record<string | symbol, unknown> & { level: string; message: unknown };

/**
 * winston format that turns an info object into the final JSON line, once: context
 * fields injected, everything redacted, sampling applied. It never throws: a line that
 * cannot be formatted is written in a reduced form and counted.
 */
export function createLineFormat({ identity, context, redactor, stats, onRequestLine }: LineFormatOptions) {
  const { service, version, env, defaultTarget } = identity;
  const identityMembers = `,"service":${JSON.stringify(service)},"version":${JSON.stringify(version)},"env":${JSON.stringify(env)}`;
  const clock = createTimestampClock();
  // A request writes several lines with the same ids: their JSON is made once.
  const idMembers = new WeakMap<RequestContext, IdMembers>();

  function idMembersOf(request: RequestContext): string {
    const { requestId, traceId, spanId } = request;
    const known = idMembers.get(request);
    if (known !== undefined && known.requestId === requestId && known.traceId === traceId && known.spanId === spanId) return known.text;
    const text = idMember('request_id', requestId) + idMember('trace_id', traceId) + idMember('span_id', spanId);
    idMembers.set(request, { requestId, traceId, spanId, text });
    return text;
  }

  function transform(info: Info): Info | false {
    const request = (info[LINE_CONTEXT] as RequestContext | undefined) ?? context.get();
    if (request !== undefined && !request.sampled && isSampledLevel(info.level)) {
      stats.droppedBySampling += 1;
      return false;
    }
    const timestamp = clock.now();
    try {
      // Written as text rather than built as an object and stringified: one pass, no copies.
      // The members above a line's own fields come first and are never overwritten by them.
      const target = typeof info.target === 'string' ? info.target : defaultTarget;
      let text =
        `{"timestamp":"${timestamp}","level":${JSON.stringify(info.level)}` +
        `,"message":${JSON.stringify(redactor.string(messageText(info.message)))}${identityMembers}` +
        `,"target":${JSON.stringify(target)}`;
      const reserved = request === undefined ? LINE_MEMBERS : REQUEST_LINE_MEMBERS;
      if (request !== undefined) {
        // A context pinned to an event may lack ids: those members are left out.
        text += idMembersOf(request);
        const { fields } = request;
        // A line's own field of the same name wins over the request's.
        for (const key in fields) {
          if (!reserved.has(key) && info[key] === undefined) text += member(fields[key], key);
        }
      }
      for (const key in info) {
        if (!reserved.has(key)) text += member(info[key], key);
      }
      text += '}';
      info[MESSAGE] = text;
      if (typeof request?.requestId === 'string' && onRequestLine !== undefined) onRequestLine(request.requestId, text);
    } catch (error) {
      stats.formatErrors += 1;
      info[MESSAGE] = JSON.stringify({
        timestamp,
        level: info.level,
        message: 'log line could not be formatted',
        service,
        version,
        env,
        target: 'sightline',
        request_id: request?.requestId,
        format_error: error instanceof Error ? error.message : String(error),
      });
    }
    return info;
  }

  function member(value: unknown, key: string): string {
    if (value === undefined) return '';
    const text = redactor.jsonMember(key, value);
    return text === undefined ? '' : `,${text}`;
  }

  return { transform, options: {} };
}

interface IdMembers {
  readonly requestId: string | undefined;
  readonly traceId: string | undefined;
  readonly spanId: string | undefined;
  readonly text: string;
}

function idMember(name: string, id: string | undefined): string {
  return typeof id === 'string' ? `,"${name}":${JSON.stringify(id)}` : '';
}

const LINE_MEMBERS: ReadonlySet<string> = new Set(['timestamp', 'level', 'message', 'service', 'version', 'env', 'target']);
const REQUEST_LINE_MEMBERS: ReadonlySet<string> = new Set([...LINE_MEMBERS, 'request_id', 'trace_id', 'span_id']);

/**
 * `new Date().toISOString()` without making one per line: the text up to the seconds is
 * made once per second, the milliseconds come from a table.
 */
export function createTimestampClock(now: () => number = Date.now): { now(): string } {
  let second = Number.NaN;
  let prefix = '';
  return {
    now() {
      const ms = now();
      const currentSecond = Math.floor(ms / 1000);
      if (currentSecond !== second) {
        second = currentSecond;
        // `2026-11-22T19:07:32.` (years past 9999 are not a concern of a log line)
        prefix = new Date(currentSecond * 1000).toISOString().slice(0, 20);
      }
      return `${prefix}${MILLISECONDS[ms - currentSecond * 1000] as string}Z`;
    },
  };
}

const MILLISECONDS: readonly string[] = Array.from({ length: 1000 }, (_, ms) => String(ms).padStart(3, '0'));

function messageText(message: unknown): string {
  if (typeof message === 'string') return message;
  if (message instanceof Error) return message.message;
  if (message === undefined) return '';
  try {
    return typeof message === 'object' ? JSON.stringify(message) : String(message);
  } catch {
    return String(message);
  }
}
