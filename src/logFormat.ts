import { BudgetedLine } from './budgetedLine';
import { LINE_CONTEXT, type ContextStore, type RequestContext } from './context';
import { isSampledLevel, MESSAGE } from './logLevels';
import { DEFAULT_LOG_LIMITS, type LogLimits } from './logLimits';
import type { LogStats } from './logStats';
import { createStringBounds, type StringBounds } from './logStringBounds';
import type { RedactionOptions, Redactor } from './redaction';

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
  /** Default `DEFAULT_LOG_LIMITS`. */
  readonly limits?: LogLimits;
  /** The redactor's own `maxEntries` and `maxDepth`, when not its defaults: strings it leaves out are not cut either. */
  readonly redactionLimits?: Pick<RedactionOptions, 'maxEntries' | 'maxDepth'>;
}

type Info = Record<string | symbol, unknown> & { level: string; message: unknown };

/** The line format: winston's `transform`, plus `transformLater` for lines that can wait for their batch. */
export interface LineFormat {
  /** winston's format API: `info[MESSAGE]` becomes the line's JSON; false drops the line (sampling). */
  transform(info: Info): Info | false;
  /**
   * As `transform`, except that a line whose fields are all primitive values gets a message
   * that makes its JSON when first turned into a string (by the transport, when it writes its
   * batch). Everything the line depends on is read now: its time, its request and that
   * request's ids and fields.
   */
  transformLater(info: Info): Info | false;
  /**
   * Notes on the line which request it belongs to (none: `null`), as the call sees it. For a
   * line that takes winston's streams: while a transport that calls back later holds lines,
   * winston queues the next ones unformatted and formats them in whatever async context that
   * callback runs in, which is another request's or none.
   */
  pinRequest(info: Info): void;
  readonly options: object;
}

/**
 * winston format that turns an info object into the final JSON line, once: context
 * fields injected, long strings cut, everything redacted, sampling applied, the line kept
 * within its byte limit. It never throws: a line that cannot be formatted is written in a
 * reduced form and counted.
 */
export function createLineFormat(options: LineFormatOptions): LineFormat {
  const { context } = options;
  const lines = new LineRenderer(options);

  function transform(info: Info): Info | false {
    const request = lines.requestOf(info);
    if (request === false) return false;
    info[MESSAGE] = lines.render(partsOf(info, request, request?.fields));
    return withoutExceptionFlag(info);
  }

  function transformLater(info: Info): Info | false {
    const request = lines.requestOf(info);
    if (request === false) return false;
    // The line's own fields first: a line that is made now needs no copy of the request's.
    // A line whose flag is released below is made now, while the info still holds the flag.
    const fields =
      !carriesExceptionFlag(info) && hasOnlyPrimitiveValues(info) ? (request === undefined ? undefined : primitiveCopy(request.fields)) : null;
    info[MESSAGE] = fields === null ? lines.render(partsOf(info, request, request?.fields)) : new LaterLine(partsOf(info, request, fields), lines);
    return withoutExceptionFlag(info);
  }

  return { transform, transformLater, pinRequest: (info) => pinRequest(context, info), options: {} };
}

/** What `createLineFormat` makes each line's JSON with: its options, the string bounds, the clock and the requests' id members. */
class LineRenderer {
  private readonly service: string;
  private readonly version: string;
  private readonly env: string;
  private readonly defaultTarget: string;
  private readonly context: ContextStore;
  private readonly redactor: Redactor;
  private readonly stats: LogStats;
  private readonly onRequestLine: ((requestId: string, line: string) => void) | undefined;
  private readonly limits: LogLimits;
  private readonly maxStringLength: number;
  private readonly bounds: StringBounds;
  private readonly identityMembers: string;
  private readonly clock = createTimestampClock();
  // A request writes several lines with the same ids: their JSON is made once.
  private readonly idMembers = new WeakMap<RequestContext, IdMembers>();

  constructor(options: LineFormatOptions) {
    const { identity, stats, limits = DEFAULT_LOG_LIMITS } = options;
    const { service, version, env, defaultTarget } = identity;
    this.service = service;
    this.version = version;
    this.env = env;
    this.defaultTarget = defaultTarget;
    this.context = options.context;
    this.redactor = options.redactor;
    this.stats = stats;
    this.onRequestLine = options.onRequestLine;
    this.limits = limits;
    this.maxStringLength = limits.maxStringLength;
    this.bounds = createStringBounds({
      maxLength: limits.maxStringLength,
      redactor: options.redactor,
      maxEntries: options.redactionLimits?.maxEntries,
      maxDepth: options.redactionLimits?.maxDepth,
      onCut: () => {
        stats.truncatedStrings += 1;
      },
    });
    this.identityMembers = `,"service":${JSON.stringify(service)},"version":${JSON.stringify(version)},"env":${JSON.stringify(env)}`;
  }

  /** The request a line belongs to, or false when sampling drops the line. */
  requestOf(info: Info): RequestContext | undefined | false {
    const pinned = info[LINE_CONTEXT] as RequestContext | null | undefined;
    const request = pinned === null ? undefined : (pinned ?? this.context.get());
    if (request !== undefined && !request.sampled && isSampledLevel(info.level)) {
      this.stats.droppedBySampling += 1;
      return false;
    }
    return request;
  }

  render(line: LineParts): string {
    const { info, request } = line;
    const { redactor, bounds, stats, onRequestLine } = this;
    const timestamp = this.clock.at(line.time);
    try {
      // Written as text rather than built as an object and stringified: one pass, no copies.
      // The members above a line's own fields come first and are never overwritten by them.
      const target = fieldOf(info, 'target');
      const message = fieldOf(info, 'message');
      let unreadable = message === CANNOT_READ;
      const reserved = request === undefined ? LINE_MEMBERS : REQUEST_LINE_MEMBERS;
      const out = new BudgetedLine(
        `{"timestamp":"${timestamp}","level":${JSON.stringify(info.level)},"message":`,
        redactor.string(unreadable ? UNREADABLE : bounds.string(messageText(message))),
        // A context pinned to an event may lack ids: those members are left out.
        `${this.identityMembers},"target":${JSON.stringify(typeof target === 'string' ? bounds.string(target) : this.defaultTarget)}` +
          (request === undefined ? '' : this.idMembersOf(request, line.requestId, line.traceId, line.spanId)),
        this.limits.maxLineBytes,
      );
      if (request !== undefined) {
        const { fields } = line;
        // A line's own field of the same name wins over the request's.
        for (const key in fields) {
          if (reserved.has(key) || fieldOf(info, key) !== undefined) continue;
          if (out.hasRoom) out.add(this.member(fields[key], key));
          else if (fields[key] !== undefined) out.leaveOut();
        }
      }
      for (const key in info) {
        if (reserved.has(key)) continue;
        const value = fieldOf(info, key);
        if (value === CANNOT_READ) unreadable = true;
        if (out.hasRoom) out.add(this.member(value === CANNOT_READ ? UNREADABLE : value, key));
        else if (value !== undefined) out.leaveOut();
      }
      // One count per line, as for a line written in the reduced form below.
      if (unreadable) stats.formatErrors += 1;
      if (out.truncated) stats.truncatedLines += 1;
      const json = out.finish();
      if (typeof line.requestId === 'string' && onRequestLine !== undefined) onRequestLine(line.requestId, json);
      return json;
    } catch (error) {
      stats.formatErrors += 1;
      return this.reducedLine(line, timestamp, error);
    }
  }

  /** The line written when its JSON could not be made. */
  private reducedLine(line: LineParts, timestamp: string, error: unknown): string {
    const { service, version, env } = this;
    return JSON.stringify({
      timestamp,
      level: line.info.level,
      message: 'log line could not be formatted',
      service,
      version,
      env,
      target: 'sightline',
      request_id: line.requestId,
      format_error: this.redactor.string(this.bounds.string(describeError(error))),
    });
  }

  private idMembersOf(request: RequestContext, requestId: string | undefined, traceId: string | undefined, spanId: string | undefined): string {
    const known = this.idMembers.get(request);
    if (known !== undefined && known.requestId === requestId && known.traceId === traceId && known.spanId === spanId) return known.text;
    const text = idMember('request_id', requestId) + idMember('trace_id', traceId) + idMember('span_id', spanId);
    this.idMembers.set(request, { requestId, traceId, spanId, text });
    return text;
  }

  private member(value: unknown, key: string): string {
    if (value === undefined) return '';
    const { maxStringLength } = this;
    // Most members hold a number, a boolean or a short string: nothing to cut.
    const short = typeof value === 'string' ? value.length <= maxStringLength : typeof value !== 'object' || value === null;
    const text = short && key.length <= maxStringLength ? this.redactor.jsonMember(key, value) : this.bounds.jsonMember(key, value);
    return text === undefined ? '' : `,${text}`;
  }
}

function partsOf(info: Info, request: RequestContext | undefined, fields: Record<string, unknown> | undefined): LineParts {
  return {
    info,
    request,
    time: Date.now(),
    requestId: request?.requestId,
    traceId: request?.traceId,
    spanId: request?.spanId,
    fields,
  };
}

/** See `LineFormat.pinRequest`. */
function pinRequest(context: ContextStore, info: Info): void {
  try {
    if (info[LINE_CONTEXT] === undefined) info[LINE_CONTEXT] = context.get() ?? null;
  } catch {
    // A line that cannot take the note is formatted in the context it is formatted in.
  }
}

/** What a line's JSON is made of, read when it was logged. */
interface LineParts {
  readonly info: Info;
  readonly request: RequestContext | undefined;
  /** Milliseconds since the epoch. */
  readonly time: number;
  readonly requestId: string | undefined;
  readonly traceId: string | undefined;
  readonly spanId: string | undefined;
  readonly fields: Readonly<Record<string, unknown>> | undefined;
}

/**
 * A line's message until its batch is written: the JSON is made on the first `toString()`.
 * Lines made back to back cost a fraction of the same lines made one at a time between
 * requests, whose code and data have gone cold in the CPU caches by the next line.
 */
class LaterLine {
  private text: string | undefined;

  constructor(
    private readonly parts: LineParts,
    private readonly lines: LineRenderer,
  ) {}

  toString(): string {
    if (this.text === undefined) this.text = this.lines.render(this.parts);
    return this.text;
  }
}

const EMPTY_FIELDS: Readonly<Record<string, unknown>> = Object.freeze({});

/** A copy of the request's fields (none: a shared empty object), or null when one of them is an object that may yet change. */
function primitiveCopy(fields: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> | null {
  let copy: Record<string, unknown> | undefined;
  for (const key in fields) {
    const value = fields[key];
    if (!isPrimitive(value)) return null;
    copy ??= {};
    copy[key] = value;
  }
  return copy ?? EMPTY_FIELDS;
}

/** False too when a field cannot be read: such a line is made at once, where that is contained. */
function hasOnlyPrimitiveValues(info: Info): boolean {
  try {
    for (const key in info) {
      if (!isPrimitive(info[key])) return false;
    }
    return true;
  } catch {
    return false;
  }
}

function carriesExceptionFlag(info: Info): boolean {
  try {
    return info.exception === true;
  } catch {
    return false;
  }
}

/**
 * winston-transport skips an info whose `exception` is `true` unless the transport handles
 * uncaught exceptions, whatever its level: a field a client may control would decide whether
 * the line is written. The line has already been made with the field as logged; the info the
 * transports receive no longer carries it.
 */
function withoutExceptionFlag(info: Info): Info {
  if (!carriesExceptionFlag(info)) return info;
  try {
    delete info.exception;
    return info;
  } catch {
    // A frozen info: winston hands on whatever the format returns.
    const copy: Info = { ...info };
    delete copy.exception;
    return copy;
  }
}

function isPrimitive(value: unknown): boolean {
  return value === null || (typeof value !== 'object' && typeof value !== 'function');
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
export function createTimestampClock(now: () => number = Date.now): { now(): string; at(ms: number): string } {
  let second = Number.NaN;
  let prefix = '';
  function at(ms: number): string {
    const currentSecond = Math.floor(ms / 1000);
    if (currentSecond !== second) {
      second = currentSecond;
      // `2026-11-22T19:07:32.` (years past 9999 are not a concern of a log line)
      prefix = new Date(currentSecond * 1000).toISOString().slice(0, 20);
    }
    return `${prefix}${MILLISECONDS[ms - currentSecond * 1000] as string}Z`;
  }
  return { now: () => at(now()), at };
}

const MILLISECONDS: readonly string[] = Array.from({ length: 1000 }, (_, ms) => String(ms).padStart(3, '0'));

/** A field whose getter throws is written as the redactor writes a nested value it cannot read. */
const UNREADABLE = '[Unserializable]';
const CANNOT_READ: unique symbol = Symbol('cannot read');

function fieldOf(info: Info, key: string): unknown {
  try {
    return info[key];
  } catch {
    return CANNOT_READ;
  }
}

function describeError(error: unknown): string {
  try {
    return error instanceof Error ? String(error.message) : String(error);
  } catch {
    return 'unknown error';
  }
}

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
