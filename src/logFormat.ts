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

  function transform(info: Info): Info | false {
    const request = (info[LINE_CONTEXT] as RequestContext | undefined) ?? context.get();
    if (request !== undefined && !request.sampled && isSampledLevel(info.level)) {
      stats.droppedBySampling += 1;
      return false;
    }
    const timestamp = new Date().toISOString();
    try {
      const line: Record<string, unknown> = {
        timestamp,
        level: info.level,
        message: redactor.string(messageText(info.message)),
        service,
        version,
        env,
        target: typeof info.target === 'string' ? info.target : defaultTarget,
      };
      let own: Record<string, unknown> | undefined;
      if (request !== undefined) {
        line.request_id = request.requestId;
        line.trace_id = request.traceId;
        line.span_id = request.spanId;
        for (const key in request.fields) if (!(key in line)) (own ??= {})[key] = request.fields[key];
      }
      // The fields above come first and are never overwritten by a line's own fields.
      for (const key in info) {
        if (!(key in line)) (own ??= {})[key] = info[key];
      }
      if (own !== undefined) {
        const redacted = redactor.fields(own);
        for (const key in redacted) line[key] = redacted[key];
      }
      const text = JSON.stringify(line);
      info[MESSAGE] = text;
      if (request !== undefined && onRequestLine !== undefined) onRequestLine(request.requestId, text);
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

  return { transform, options: {} };
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
