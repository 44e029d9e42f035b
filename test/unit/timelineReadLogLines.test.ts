import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileSource, readLogLines, streamSource, textSource, type LogItem, type LogSource } from '../../src/timeline/readLogLines';

async function readAll(sources: readonly LogSource[], keep?: (raw: string) => boolean): Promise<LogItem[]> {
  const items: LogItem[] = [];
  for await (const item of readLogLines(sources, keep === undefined ? {} : { keep })) items.push(item);
  return items;
}

async function linesOf(source: LogSource): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of source.lines()) lines.push(line);
  return lines;
}

describe('readLogLines', () => {
  it('yields each JSON object with its source, source position and 1-based line number, sources in the order given', async () => {
    const items = await readAll([textSource('a.log', '{"n":1}\n{"n":2}\n'), textSource('b.log', '{"n":3}')]);
    expect(items).toEqual([
      { type: 'json', record: { fields: { n: 1 }, source: 'a.log', sourceIndex: 0, lineNumber: 1 } },
      { type: 'json', record: { fields: { n: 2 }, source: 'a.log', sourceIndex: 0, lineNumber: 2 } },
      { type: 'json', record: { fields: { n: 3 }, source: 'b.log', sourceIndex: 1, lineNumber: 1 } },
    ]);
  });

  it('reports text, truncated JSON, arrays and numbers as not JSON, and skips blank lines without counting them', async () => {
    const text = ['npm WARN something', '{"message":"cut', '', '   ', '[1,2]', '42', '{"ok":true}', 'null'].join('\n');
    const items = await readAll([textSource('mixed.log', text)]);
    expect(items.filter((item) => item.type === 'not_json')).toEqual([
      { type: 'not_json', source: 'mixed.log', lineNumber: 1 },
      { type: 'not_json', source: 'mixed.log', lineNumber: 2 },
      { type: 'not_json', source: 'mixed.log', lineNumber: 5 },
      { type: 'not_json', source: 'mixed.log', lineNumber: 6 },
      { type: 'not_json', source: 'mixed.log', lineNumber: 8 },
    ]);
    expect(items.filter((item) => item.type === 'json')).toEqual([{ type: 'json', record: expect.objectContaining({ fields: { ok: true }, lineNumber: 7 }) }]);
  });

  it('neither parses nor counts a line the keep filter refuses, and keeps line numbers true to the source', async () => {
    const items = await readAll([textSource('f.log', 'not json\n{"id":"x"}\n{"id":"y"}\n')], (raw) => raw.includes('"y"'));
    expect(items).toEqual([{ type: 'json', record: expect.objectContaining({ fields: { id: 'y' }, lineNumber: 3 }) }]);
  });
});

describe('streamSource', () => {
  it('reads a one-shot stream once and replays the same lines on the second read', async () => {
    const source = streamSource('stdin', Readable.from(['{"a":1}\n{"a"', ':2}\n']));
    expect(await linesOf(source)).toEqual(['{"a":1}', '{"a":2}']);
    expect(await linesOf(source)).toEqual(['{"a":1}', '{"a":2}']);
  });
});

describe('fileSource', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sightline-timeline-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the file afresh on every read', async () => {
    const file = path.join(dir, 'service.log');
    await writeFile(file, '{"a":1}\n{"a":2}');
    const source = fileSource(file);
    expect(await linesOf(source)).toEqual(['{"a":1}', '{"a":2}']);
    expect(await linesOf(source)).toEqual(['{"a":1}', '{"a":2}']);
  });

  it('reads CRLF line endings as line ends', async () => {
    const file = path.join(dir, 'crlf.log');
    await writeFile(file, '{"a":1}\r\n{"a":2}\r\n');
    const items = await readAll([fileSource(file)]);
    expect(items.map((item) => (item.type === 'json' ? item.record.fields.a : 'not json'))).toEqual([1, 2]);
  });

  it('fails with the file error, naming the path, when the file cannot be opened', async () => {
    const missing = path.join(dir, 'missing.log');
    await expect(linesOf(fileSource(missing))).rejects.toThrow(/ENOENT.*missing\.log/);
  });
});
