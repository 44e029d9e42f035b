import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { fileSource, streamSource, type LogSource, type NotJsonLine } from '../timeline/readLogLines';
import { renderTimelineJson, renderTimelineText } from '../timeline/renderTimeline';
import { DEFAULT_GAP_MS, timelineFromLogs } from '../timeline/timelineFromLogs';

/** What a command reads and writes; the entry passes the process's own. */
export interface CliIo {
  readonly stdin: Readable & { readonly isTTY?: boolean };
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

export const EXIT_OK = 0;
/** The id is on no line. */
export const EXIT_NOT_FOUND = 1;
/** Bad arguments, or input that could not be read. */
export const EXIT_USAGE = 2;

export const TIMELINE_USAGE = `Usage: sightline timeline <request_id | trace_id> [log files…] [options]

Merges the JSON log lines of every service and prints one request's timeline in time
order: arrival, upstream call, first token with TTFT, tool calls and sandbox lifecycle,
gaps, errors, completion with bytes and outcome. Lines of other services that share the
request's trace id are included. Reads the files in turn, or stdin when none is given
(or for "-").

Options:
  --gap-ms <n>  mark a silence of more than n ms between two lines (default ${DEFAULT_GAP_MS},
                the streaming contract's longest gap)
  --json        print the timeline as one JSON document
  -h, --help    print this help

Exit codes: 0 timeline printed; 1 no line has this request_id or trace_id;
2 bad arguments or unreadable input.
`;

/** The same rule as an inbound X-Request-Id; a trace id (32 hex digits) passes it too. */
const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const GAP_PATTERN = /^\d+(?:\.\d+)?$/;

/** `sightline timeline …`; resolves to the exit code. */
export async function runTimeline(args: readonly string[], io: CliIo): Promise<number> {
  const usageError = (message: string): number => {
    io.stderr.write(`sightline timeline: ${message}\nRun "sightline timeline --help" for usage.\n`);
    return EXIT_USAGE;
  };

  let parsed: ReturnType<typeof parseTimelineArgs>;
  try {
    parsed = parseTimelineArgs(args);
  } catch (error) {
    return usageError(messageOf(error));
  }
  if (parsed.help) {
    io.stdout.write(TIMELINE_USAGE);
    return EXIT_OK;
  }
  const { id, files, gapMs, json } = parsed;
  if (id === undefined) return usageError('give the request_id or trace_id to follow');
  if (!ID_PATTERN.test(id)) return usageError(`${JSON.stringify(id.slice(0, 140))} is not an id: ids are 1-128 characters of [A-Za-z0-9._:-]`);
  if (files.filter((file) => file === '-').length > 1) return usageError('stdin ("-") can be read only once');
  const readsStdin = files.length === 0 || files.includes('-');
  if (readsStdin && io.stdin.isTTY === true) return usageError('no log file given and stdin is a terminal: name the files, or pipe the log lines in');

  const sources: LogSource[] = files.length === 0 ? [streamSource('stdin', io.stdin)] : files.map((file) => (file === '-' ? streamSource('stdin', io.stdin) : fileSource(file)));
  let result: Awaited<ReturnType<typeof timelineFromLogs>>;
  try {
    result = await timelineFromLogs(sources, id, { gapMs });
  } catch (error) {
    io.stderr.write(`sightline timeline: cannot read the log lines: ${messageOf(error)}\n`);
    return EXIT_USAGE;
  }

  if (result.notJson.count > 0) io.stderr.write(`${notJsonSummary(result.notJson.count, result.notJson.first)}\n`);
  const { timeline } = result;
  if (timeline === undefined) {
    const read = `${result.jsonLines} JSON ${result.jsonLines === 1 ? 'line' : 'lines'} read from ${sources.map((source) => source.name).join(', ')}`;
    io.stderr.write(`sightline timeline: no line has request_id or trace_id "${id}" (${read})\n`);
    return EXIT_NOT_FOUND;
  }
  io.stdout.write(json ? renderTimelineJson(timeline) : renderTimelineText(timeline));
  return EXIT_OK;
}

interface TimelineArgs {
  readonly help: boolean;
  readonly id: string | undefined;
  readonly files: readonly string[];
  readonly gapMs: number;
  readonly json: boolean;
}

/** Throws with a message for the user on an unknown option or a bad value. */
export function parseTimelineArgs(args: readonly string[]): TimelineArgs {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      'gap-ms': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const gapText = values['gap-ms'];
  if (gapText !== undefined && !GAP_PATTERN.test(gapText)) {
    throw new RangeError(`--gap-ms must be a number of milliseconds >= 0, got ${JSON.stringify(gapText.slice(0, 64))}`);
  }
  const [id, ...files] = positionals;
  return {
    help: values.help === true,
    id,
    files,
    gapMs: gapText === undefined ? DEFAULT_GAP_MS : Number(gapText),
    json: values.json === true,
  };
}

export function notJsonSummary(count: number, first: NotJsonLine | undefined): string {
  const where = first === undefined ? '' : ` (first at ${first.source}:${first.lineNumber})`;
  return `${count} ${count === 1 ? 'line was' : 'lines were'} not JSON, skipped${where}`;
}

/** Duck-typed: errors from another realm (a test's sandbox) are no `instanceof Error`. */
function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}
