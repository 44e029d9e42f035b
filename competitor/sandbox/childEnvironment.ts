import { context as otelContext, type Context } from '@opentelemetry/api';
import type { SightlineLogger } from '../../src';
import type { SandboxCommand } from './command';

/** Variables a child inherits; everything else (API keys, admin tokens, …) stays in the pool's process. */
const INHERITED_VARIABLES = new Set(['PATH', 'HOME', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR', 'TEMP', 'TMP', 'SYSTEMROOT']);
const INHERITED_PREFIXES = ['NODE_', 'LC_'];
const SECRET_LOOKING = /TOKEN|SECRET|KEY|PASSWORD|PASSWD|CREDENTIAL|AUTH/i;

/** What the child environment is made of: the service's own, the command's, and the caller's trace. */
export interface ChildEnvironmentOptions {
  /** The pool's process environment, filtered down to what a Node program needs. */
  readonly environment: NodeJS.ProcessEnv;
  readonly command: SandboxCommand;
  /** The caller's trace context as variables (`obs.childProcessEnv()`), read in the context it is given. */
  readonly traceVariables: () => Record<string, string>;
  readonly logger: SightlineLogger;
  readonly pool: string;
}

/** The environment of one child, given the context of the `sandbox.exec` span it runs under. */
export type ChildEnvironment = (execContext: Context, callId: string) => Record<string, string>;

/**
 * What a sandbox child gets: the inherited variables and the command's `env`, fixed when the
 * pool is created, plus per call the trace variables naming the `sandbox.exec` span as the
 * child's parent. A failing `traceVariables` is logged and the child runs untraced.
 */
export function createChildEnvironment(options: ChildEnvironmentOptions): ChildEnvironment {
  const { traceVariables, logger, pool } = options;
  const base = { ...inheritedEnvironment(options.environment), ...options.command.env };
  return function childEnvironment(execContext, callId) {
    let traceEnv: Record<string, string> = {};
    try {
      traceEnv = otelContext.with(execContext, traceVariables);
    } catch (error) {
      logger.warn('sandbox child trace context unavailable', { target: 'sandbox', pool, call_id: callId, error });
    }
    return { ...base, ...traceEnv };
  };
}

/** Only what a Node program needs to run; never the service's secrets. */
export function inheritedEnvironment(environment: NodeJS.ProcessEnv): Record<string, string> {
  const inherited: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) {
    if (value === undefined || SECRET_LOOKING.test(name)) continue;
    if (INHERITED_VARIABLES.has(name) || INHERITED_PREFIXES.some((prefix) => name.startsWith(prefix))) inherited[name] = value;
  }
  return inherited;
}
