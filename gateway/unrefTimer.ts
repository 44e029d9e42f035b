/** A timeout that does not keep the process alive: a stream's timers must not delay shutdown. */
export function unrefTimer(callback: () => void, ms: number): NodeJS.Timeout {
  const handle = setTimeout(callback, ms);
  handle.unref();
  return handle;
}
