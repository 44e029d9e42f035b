/** Messages between the runner and a server child, over the IPC channel (stdout carries the logs). */
export type ServerMessage =
  | { readonly type: 'listening'; readonly port: number }
  | ({ readonly type: 'stopped' } & WorkDone)
  | { readonly type: 'failed'; readonly message: string };

/** What a server did besides answering, counted in the server: the proof a fast variant did its work. */
export interface WorkDone {
  /** Lines sightline lost or contained; `undefined` for variants without sightline's logger. */
  readonly logStats: Readonly<Record<string, number>> | undefined;
  /** Spans the counting exporter received; `undefined` for variants that do not trace. */
  readonly spans: number | undefined;
  /** Requests counted by the HTTP duration histogram; `undefined` for variants without a registry. */
  readonly metricRequests: number | undefined;
}

export type RunnerMessage = { readonly type: 'stop' };

export function isServerMessage(value: unknown): value is ServerMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}
