import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { main } from '../../src/cli/sightline';
import { EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, notJsonSummary, parseTimelineArgs, type CliIo } from '../../src/cli/timelineCommand';
import { competitorLines, gatewayLines, jsonl, REQUEST_ID, sandboxLines, TRACE_ID } from '../support/timelineLines';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(argv: readonly string[], stdinText = '', stdinIsTTY = false): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const stdin = Object.assign(Readable.from(stdinText === '' ? [] : [stdinText]), { isTTY: stdinIsTTY });
  const io: CliIo = { stdin, stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const ALL = jsonl([...gatewayLines(), ...competitorLines(), ...sandboxLines()]);

let dir: string;
let gatewayFile: string;
let competitorFile: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sightline-cli-'));
  gatewayFile = path.join(dir, 'gateway.log');
  competitorFile = path.join(dir, 'competitor.log');
  await writeFile(gatewayFile, `${jsonl(gatewayLines())}> sightline@0.1.0 gateway\n`);
  await writeFile(competitorFile, jsonl([...competitorLines(), ...sandboxLines()]));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sightline timeline', () => {
  it('merges the files given and prints the timeline, telling on stderr how many lines were not JSON', async () => {
    const result = await run(['timeline', REQUEST_ID, gatewayFile, competitorFile]);
    expect(result.code).toBe(EXIT_OK);
    expect(result.stdout.split('\n')[0]).toContain(`timeline of ${REQUEST_ID}`);
    expect(result.stdout).toMatch(/arrival[\s\S]*upstream call \(fast\)[\s\S]*first token \(ttft 37\.8 ms\)[\s\S]*sandbox end \(ok[\s\S]*completion \(200, 8139 bytes, completed\)/);
    expect(result.stderr).toBe(`1 line was not JSON, skipped (first at ${gatewayFile}:${gatewayLines().length + 1})\n`);
  });

  it('reads stdin when no file is given, and for "-"', async () => {
    const fromStdin = await run(['timeline', TRACE_ID], ALL);
    expect(fromStdin.code).toBe(EXIT_OK);
    expect(fromStdin.stdout).toContain('sandbox call start (calc)');
    expect(fromStdin.stderr).toBe('');

    const mixed = await run(['timeline', REQUEST_ID, gatewayFile, '-'], jsonl(sandboxLines()));
    expect(mixed.code).toBe(EXIT_OK);
    expect(mixed.stdout).toMatch(/gateway, sandbox/);
  });

  it('prints one JSON document with --json, and marks gaps by --gap-ms', async () => {
    const result = await run(['timeline', REQUEST_ID, '--json', '--gap-ms', '300'], ALL);
    expect(result.code).toBe(EXIT_OK);
    const doc = JSON.parse(result.stdout) as { gap_ms: number; rows: { kind: string; offset_ms: number }[] };
    expect(doc.gap_ms).toBe(300);
    expect(doc.rows.filter((row) => row.kind === 'gap').map((row) => row.offset_ms)).toEqual([38, 407]);
  });

  it('exits 1 naming the id and what was read when no line has it', async () => {
    const result = await run(['timeline', 'no-such-request', gatewayFile]);
    expect(result.code).toBe(EXIT_NOT_FOUND);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`sightline timeline: no line has request_id or trace_id "no-such-request" (${gatewayLines().length} JSON lines read from ${gatewayFile})`);
    expect(result.stderr).toContain('1 line was not JSON, skipped');
  });

  it('exits 2 with the reason on bad arguments', async () => {
    const cases: [string[], RegExp][] = [
      [['timeline'], /give the request_id or trace_id/],
      [['timeline', 'bad id"'], /"bad id\\"" is not an id: ids are 1-128 characters/],
      [['timeline', REQUEST_ID, '--gap-ms', 'soon'], /--gap-ms must be a number of milliseconds >= 0, got "soon"/],
      [['timeline', REQUEST_ID, '--gap-ms', '-5'], /--gap-ms/],
      [['timeline', REQUEST_ID, '--colour'], /Unknown option '--colour'/],
      [['timeline', REQUEST_ID, '-', '-'], /stdin \("-"\) can be read only once/],
    ];
    for (const [argv, message] of cases) {
      const result = await run(argv, ALL);
      expect({ argv, code: result.code }).toEqual({ argv, code: EXIT_USAGE });
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toContain('sightline timeline --help');
    }
  });

  it('exits 2 when a file cannot be read, and when stdin is a terminal', async () => {
    const missing = await run(['timeline', REQUEST_ID, path.join(dir, 'missing.log')]);
    expect(missing.code).toBe(EXIT_USAGE);
    expect(missing.stderr).toMatch(/cannot read the log lines: ENOENT.*missing\.log/);

    const tty = await run(['timeline', REQUEST_ID], '', true);
    expect(tty.code).toBe(EXIT_USAGE);
    expect(tty.stderr).toMatch(/stdin is a terminal/);
  });

  it('prints its help on stdout with exit 0', async () => {
    const result = await run(['timeline', '--help']);
    expect(result.code).toBe(EXIT_OK);
    expect(result.stdout).toMatch(/^Usage: sightline timeline <request_id \| trace_id> \[log files…\]/);
    expect(result.stdout).toContain('--gap-ms <n>');
  });
});

describe('sightline', () => {
  it('lists its commands on --help, and refuses an unknown command or none with exit 2', async () => {
    expect(await run(['--help'])).toMatchObject({ code: EXIT_OK, stdout: expect.stringContaining('timeline <request_id | trace_id>') });
    expect(await run([])).toMatchObject({ code: EXIT_USAGE, stderr: expect.stringContaining('Usage: sightline <command>') });
    expect(await run(['replay'])).toMatchObject({ code: EXIT_USAGE, stderr: expect.stringContaining('sightline: unknown command "replay"') });
  });
});

describe('parseTimelineArgs', () => {
  it('takes options anywhere among the id and files', () => {
    expect(parseTimelineArgs(['--json', 'id-1', 'a.log', '--gap-ms', '1500.5', 'b.log'])).toEqual({ help: false, id: 'id-1', files: ['a.log', 'b.log'], gapMs: 1500.5, json: true });
  });
});

describe('notJsonSummary', () => {
  it('says how many lines were skipped, in the singular for one', () => {
    expect(notJsonSummary(3, { source: 'run.log', lineNumber: 7 })).toBe('3 lines were not JSON, skipped (first at run.log:7)');
    expect(notJsonSummary(1, undefined)).toBe('1 line was not JSON, skipped');
  });
});
