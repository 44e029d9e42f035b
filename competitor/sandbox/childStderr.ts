import { createLineSplitter, isRecord, type LineSplitter } from './protocol';

const STDERR_TAIL_BYTES = 2048;
const MAX_STDERR_LINE_BYTES = 64 * 1024;

/**
 * Reads what a child writes on stderr: each JSON object line goes to `onLogLine` unchanged;
 * anything else is kept, the last 2 KB of it, to tell why a child crashed.
 */
export class ChildStderr {
  readonly #onLogLine: (line: string) => void;
  readonly #splitter: LineSplitter;
  #tail = '';

  constructor(onLogLine: (line: string) => void) {
    this.#onLogLine = onLogLine;
    this.#splitter = createLineSplitter({
      maxLineBytes: MAX_STDERR_LINE_BYTES,
      onLine: (line) => this.#onLine(line),
      onLineTooLong: (head) => this.#keep(`${head}…`),
    });
  }

  /** The child's last non-JSON output, each line with its newline. */
  get tail(): string {
    return this.#tail;
  }

  push(chunk: Buffer): void {
    this.#splitter.push(chunk);
  }

  end(): void {
    this.#splitter.end();
  }

  #onLine(line: string): void {
    if (line.trim() === '') return;
    if (isJsonObjectLine(line)) this.#onLogLine(line);
    else this.#keep(line);
  }

  #keep(text: string): void {
    const tail = `${this.#tail}${text}\n`;
    this.#tail = tail.length > STDERR_TAIL_BYTES ? tail.slice(tail.length - STDERR_TAIL_BYTES) : tail;
  }
}

function isJsonObjectLine(line: string): boolean {
  if (!line.trimStart().startsWith('{')) return false;
  try {
    return isRecord(JSON.parse(line));
  } catch {
    return false;
  }
}
