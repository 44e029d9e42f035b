import type { ErrorDetails, ParseErrorType } from './protocol';

/** Why a sandbox call failed; also the `outcome` label of `sandbox_calls_total` and `error_type` of `request.completed`. */
export type SandboxErrorType =
  | 'saturated'
  | 'queue_timeout'
  | 'call_timeout'
  | 'crashed'
  | 'parse_error'
  | 'pool_crashed'
  | 'tool_error'
  | 'aborted'
  | 'closed';

/** What is known about a failed call; which fields are set depends on the error type. */
export interface SandboxErrorDetails {
  readonly pool: string;
  readonly callId: string;
  readonly tool: string;
  readonly pid?: number;
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  /** The child's last non-JSON stderr output (at most 2 KB). */
  readonly stderrTail?: string;
  /** The child's own error (`tool_error`, or the `fatal` line of a crash). */
  readonly childError?: ErrorDetails;
  readonly parseErrorType?: ParseErrorType;
  readonly rawLinePreview?: string;
  readonly timeoutMs?: number;
  readonly queueSize?: number;
}

/** How a sandbox call failed: `type` is stable for branching; `retryAfterS` is set when waiting helps. */
export class SandboxError extends Error {
  override readonly name = 'SandboxError';
  readonly type: SandboxErrorType;
  readonly retryAfterS: number | undefined;
  readonly details: SandboxErrorDetails;

  constructor(type: SandboxErrorType, message: string, details: SandboxErrorDetails, retryAfterS?: number) {
    super(message);
    this.type = type;
    this.details = details;
    this.retryAfterS = retryAfterS;
  }
}
