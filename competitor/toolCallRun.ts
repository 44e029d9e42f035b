import type { ToolIntent } from './model/toolIntent';
import type { SandboxPool } from './sandbox/pool';

/** What the model needs of the sandbox pool. */
export type ToolRunner = Pick<SandboxPool, 'run'>;

export type ToolCallEvent =
  | { readonly type: 'sandbox_start'; readonly pid: number; readonly spawnMs: number }
  | { readonly type: 'progress'; readonly message: string }
  | { readonly type: 'result'; readonly output: unknown; readonly durationMs: number; readonly pid: number }
  | { readonly type: 'error'; readonly error: unknown; readonly durationMs: number };

/**
 * A tool call started at once and read as a sequence of events, so the stream can tell
 * the client about the sandbox as it happens. Events that arrive before anyone reads are kept.
 */
export function startToolCall(
  runner: ToolRunner,
  intent: ToolIntent,
  callId: string,
  signal: AbortSignal,
): { readonly events: AsyncIterable<ToolCallEvent>; firstEvent(): ToolCallEvent | undefined } {
  const pending: ToolCallEvent[] = [];
  let finished = false;
  let wake: (() => void) | undefined;
  const startedAt = performance.now();

  function push(event: ToolCallEvent): void {
    pending.push(event);
    wake?.();
    wake = undefined;
  }

  runner
    .run({
      tool: intent.tool,
      arguments: intent.arguments,
      callId,
      signal,
      onStart: ({ pid, spawnMs }) => push({ type: 'sandbox_start', pid, spawnMs }),
      onProgress: (message) => push({ type: 'progress', message }),
    })
    .then(
      (result) => push({ type: 'result', ...result }),
      (error: unknown) => push({ type: 'error', error, durationMs: performance.now() - startedAt }),
    )
    .finally(() => {
      finished = true;
      wake?.();
    });

  return {
    firstEvent: () => pending[0],
    events: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const next = pending.shift();
          if (next !== undefined) {
            yield next;
            if (next.type === 'result' || next.type === 'error') return;
            continue;
          }
          if (finished) return;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      },
    },
  };
}
