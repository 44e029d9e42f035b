import type { Observability } from '../middleware';

/** The log lines and context fields of one upstream call, written into its client request. */
export interface UpstreamCallLog {
  /** A log line of the request: upstream callbacks run outside its async scope, so it is entered here. */
  say(level: 'info' | 'warn', message: string, fields: Record<string, unknown>): void;
  /**
   * A bookkeeping line that waits for the next tick, which is when a pooled connection sends
   * the request and when an upstream's first bytes reach the client; any other line writes it first.
   */
  sayAfterTick(message: string, fields: Record<string, unknown>): void;
  /** A field joining the request's later log lines (its `request completed` line among them). */
  note(key: string, value: unknown): void;
}

/** The log of an upstream call made while serving the request now in context. */
export function upstreamCallLog(obs: Observability): UpstreamCallLog {
  const requestContext = obs.context.get();
  let deferred: [message: string, fields: Record<string, unknown>][] | undefined;

  function sayDeferred(): void {
    const lines = deferred;
    deferred = undefined;
    if (lines !== undefined) for (const [message, fields] of lines) say('info', message, fields);
  }

  function say(level: 'info' | 'warn', message: string, fields: Record<string, unknown>): void {
    if (deferred !== undefined) sayDeferred();
    const line = (): void => void obs.logger.log(level, message, { target: 'gateway', ...fields });
    if (requestContext === undefined) line();
    else obs.context.run(requestContext, line);
  }

  return {
    say,
    sayAfterTick(message, fields) {
      if (deferred === undefined) {
        deferred = [];
        process.nextTick(sayDeferred);
      }
      deferred.push([message, fields]);
    },
    note(key, value) {
      if (requestContext !== undefined) requestContext.fields[key] = value;
    },
  };
}
