import { randomUUID } from 'node:crypto';
import { encodeLine, isRecord, MAX_LINE_BYTES } from './protocol';
import { quote } from './quote';

/** One tool call for `SandboxPool.run`. */
export interface SandboxRunRequest {
  readonly tool: string;
  readonly arguments: Readonly<Record<string, unknown>>;
  /** Names the call in the protocol, events and logs. Default: a random UUID. */
  readonly callId?: string;
  /** Each progress message of the child; a throw is logged and ignored. */
  readonly onProgress?: (message: string) => void;
  /** Once the child process has started; a throw is logged and ignored. */
  readonly onStart?: (started: { readonly pid: number; readonly spawnMs: number }) => void;
  /** Aborting leaves the queue or kills the child; the call fails `aborted`. */
  readonly signal?: AbortSignal;
}

/** A call's answer, with where its time went. */
export interface SandboxRunResult {
  readonly output: unknown;
  /** From starting the child to its result. */
  readonly durationMs: number;
  /** Time spent waiting for a free slot. */
  readonly queueWaitMs: number;
  readonly pid: number;
}

/** A request checked and serialised, as the child will read it. */
export interface EncodedRunRequest {
  readonly callId: string;
  readonly requestLine: string;
}

const MAX_CALL_ID_LENGTH = 128;
const MAX_TOOL_NAME_LENGTH = 256;

/** Checks a request and serialises it once, when it arrives; throws a TypeError naming what is wrong. */
export function encodeRunRequest(request: SandboxRunRequest): EncodedRunRequest {
  const problem = requestProblem(request);
  if (problem !== undefined) throw new TypeError(`sandboxPool.run: ${problem}`);
  const callId = request.callId ?? randomUUID();
  let requestLine: string;
  try {
    requestLine = encodeLine({ id: callId, tool: request.tool, arguments: request.arguments });
  } catch (error) {
    throw new TypeError(`sandboxPool.run: arguments of ${JSON.stringify(request.tool)} are not JSON-serialisable: ${String(error)}`, { cause: error });
  }
  if (Buffer.byteLength(requestLine) > MAX_LINE_BYTES) {
    throw new TypeError(`sandboxPool.run: the request for ${JSON.stringify(request.tool)} is longer than ${MAX_LINE_BYTES} bytes`);
  }
  return { callId, requestLine };
}

function requestProblem(request: SandboxRunRequest): string | undefined {
  if (!isRecord(request)) return `request must be an object, got ${String(request)}`;
  const { tool, callId } = request;
  if (typeof tool !== 'string' || tool === '' || tool.length > MAX_TOOL_NAME_LENGTH) {
    return `tool must be a string of 1 to ${MAX_TOOL_NAME_LENGTH} characters, got ${quote(tool)}`;
  }
  if (!isRecord(request.arguments)) return `arguments of ${JSON.stringify(tool)} must be an object, got ${quote(request.arguments)}`;
  if (callId !== undefined && (typeof callId !== 'string' || callId === '' || callId.length > MAX_CALL_ID_LENGTH)) {
    return `callId must be a string of 1 to ${MAX_CALL_ID_LENGTH} characters, got ${quote(callId)}`;
  }
  for (const hook of ['onProgress', 'onStart'] as const) {
    if (request[hook] !== undefined && typeof request[hook] !== 'function') return `${hook} must be a function, got ${typeof request[hook]}`;
  }
  return undefined;
}
