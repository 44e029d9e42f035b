import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/** The fields of one JSON log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** A JSON log line and where it was read. */
export interface LogRecord {
  readonly fields: LogFields;
  /** Name of the source (a file path, or `stdin`). */
  readonly source: string;
  /** Position of the source in the list given, for a stable order across sources. */
  readonly sourceIndex: number;
  /** 1-based. */
  readonly lineNumber: number;
}

/** A line that is not a JSON object, counted and skipped. */
export interface NotJsonLine {
  readonly source: string;
  readonly lineNumber: number;
}

export type LogItem = { readonly type: 'json'; readonly record: LogRecord } | ({ readonly type: 'not_json' } & NotJsonLine);

/** Lines of log text; `lines()` may be called more than once, and reads the same lines each time. */
export interface LogSource {
  readonly name: string;
  lines(): AsyncIterable<string>;
}

export interface ReadLogLinesOptions {
  /** Checked on the raw text first: a line it refuses is neither parsed nor counted. Default: every line. */
  readonly keep?: (raw: string) => boolean;
}

/** A file, opened anew for every read. Fails with the file's error (ENOENT, EACCES, EISDIR) when read. */
export function fileSource(path: string): LogSource {
  return {
    name: path,
    async *lines() {
      const handle = await open(path, 'r');
      const input = handle.createReadStream({ encoding: 'utf8' });
      try {
        yield* createInterface({ input, crlfDelay: Infinity });
      } finally {
        input.destroy();
      }
    },
  };
}

/**
 * A stream that can be read once (stdin): its lines are kept as they are read, so that a
 * second read replays them. Memory grows with the input.
 */
export function streamSource(name: string, input: Readable): LogSource {
  let kept: string[] | undefined;
  return {
    name,
    async *lines() {
      if (kept !== undefined) {
        yield* kept;
        return;
      }
      const lines: string[] = [];
      for await (const line of createInterface({ input, crlfDelay: Infinity })) {
        lines.push(line);
        yield line;
      }
      kept = lines;
    },
  };
}

/** Lines given in memory (tests, and callers holding text already). */
export function textSource(name: string, text: string): LogSource {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return {
    name,
    async *lines() {
      yield* lines;
    },
  };
}

/**
 * Reads every source in turn and yields each line as a parsed JSON object, or as a
 * `not_json` item when it does not parse to an object (a JSON array or number is no log
 * line either). Blank lines are skipped without a word.
 */
export async function* readLogLines(sources: readonly LogSource[], options: ReadLogLinesOptions = {}): AsyncGenerator<LogItem> {
  const { keep } = options;
  for (const [sourceIndex, source] of sources.entries()) {
    let lineNumber = 0;
    for await (const raw of source.lines()) {
      lineNumber += 1;
      if (raw.trim() === '') continue;
      if (keep !== undefined && !keep(raw)) continue;
      const fields = parseObject(raw);
      if (fields === undefined) yield { type: 'not_json', source: source.name, lineNumber };
      else yield { type: 'json', record: { fields, source: source.name, sourceIndex, lineNumber } };
    }
  }
}

function parseObject(raw: string): LogFields | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as LogFields) : undefined;
}
