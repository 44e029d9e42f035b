/** Messages between the runner and a server child, over the IPC channel (stdout carries the logs). */
export type ServerMessage =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'stopped'; readonly logStats: Readonly<Record<string, number>> | undefined }
  | { readonly type: 'failed'; readonly message: string };

export type RunnerMessage = { readonly type: 'stop' };

export function isServerMessage(value: unknown): value is ServerMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}
