const EVENT_STREAM = /^\s*text\/event-stream\s*(;|$)/i;

/** Whether a `Content-Type` value names a Server-Sent-Events stream (`text/event-stream`, any parameters). */
export function isEventStreamContentType(value: string | null | undefined): boolean {
  return typeof value === 'string' && EVENT_STREAM.test(value);
}
