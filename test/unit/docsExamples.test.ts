/**
 * Every TypeScript example of the documentation compiles against the package as written.
 * Each ```ts / ```typescript block of README.md and docs/ (docs/api aside: it is generated) is
 * a module of its own, typechecked by tsc in a scratch folder as an ES module of a user's
 * project (`module: nodenext`, strict), with the package's entries mapped to their sources:
 * `sightline` → middleware/index.ts, `sightline/core` → src/index.ts, `sightline/testing` →
 * src/testing/index.ts. A block opts out only with `<!-- not compiled: reason -->` on the line
 * right before its fence; shell and other blocks are not compiled.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { codeBlocks, documentationPages, readPage, ROOT, type CodeBlock } from '../support/markdownPages';

jest.setTimeout(240_000);

const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const TYPESCRIPT = new Set(['ts', 'typescript']);
const ENTRIES: Readonly<Record<string, string>> = {
  sightline: 'middleware/index.ts',
  'sightline/core': 'src/index.ts',
  'sightline/testing': 'src/testing/index.ts',
  'sightline/register': 'src/register.ts',
};

interface Example extends CodeBlock {
  readonly page: string;
  /** 1-based among the page's TypeScript blocks. */
  readonly number: number;
}

function examplesOf(page: string): Example[] {
  return codeBlocks(readPage(page))
    .filter((block) => TYPESCRIPT.has(block.lang))
    .map((block, index) => ({ ...block, page, number: index + 1 }));
}

const examples = documentationPages().flatMap(examplesOf);
const compiled = examples.filter((example) => example.notCompiled === undefined);
const optedOut = examples.filter((example) => example.notCompiled !== undefined);

/** tsc's diagnostics for the examples, each named by page, example number and line of the page. */
async function typecheck(blocks: readonly Example[]): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-doc-examples-'));
  try {
    // An ES-module project of a user, with the repository's dependencies installed.
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'doc-examples', private: true, type: 'module' }));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    mkdirSync(path.join(dir, 'examples'));
    const files = blocks.map((block, index) => {
      const file = `examples/example-${index + 1}.ts`;
      writeFileSync(path.join(dir, file), `${block.code}\n`);
      return file;
    });
    const paths = Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, [path.join(ROOT, file)]]));
    const compilerOptions = {
      target: 'ES2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      moduleDetection: 'force',
      lib: ['ES2023'],
      types: ['node', 'jest'],
      strict: true,
      noUncheckedIndexedAccess: true,
      esModuleInterop: true,
      skipLibCheck: true,
      noEmit: true,
      paths,
    };
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }, null, 2));
    const output = await new Promise<string>((resolve) => {
      execFile(process.execPath, [TSC, '-p', 'tsconfig.json', '--pretty', 'false'], { cwd: dir, maxBuffer: 64 * 1024 * 1024 }, (_error, stdout, stderr) => {
        resolve(`${stdout}${stderr}`);
      });
    });
    return diagnostics(output, blocks);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** tsc's lines about the examples, rewritten to name the page; errors elsewhere are `npm run typecheck`'s. */
function diagnostics(output: string, blocks: readonly Example[]): string[] {
  const found: string[] = [];
  let current: string[] | undefined;
  for (const line of output.split('\n')) {
    const match = /^examples\/example-(\d+)\.ts\((\d+),(\d+)\): (error TS\d+: .*)$/.exec(line);
    if (match !== null) {
      const block = blocks[Number(match[1]) - 1] as Example;
      current = [`${block.page}, example ${block.number} (page line ${block.line + Number(match[2])}): ${match[4] as string}`];
      found.push(current[0] as string);
    } else if (/^\S/.test(line)) {
      current = undefined;
    } else if (current !== undefined && line.trim() !== '') {
      found[found.length - 1] += `\n${line}`;
    }
  }
  if (found.length === 0 && /error TS\d+/.test(output) && !/\): error TS/.test(output)) found.push(`tsc failed: ${output}`);
  return found;
}

/** A block with a misspelt option, checked in the same run: its error must name its page, number and line. */
const MISSPELT: Example = {
  page: 'docs/guide/misspelt.md',
  number: 2,
  lang: 'ts',
  line: 10,
  end: 13,
  code: "import { createObservability } from 'sightline';\ncreateObservability({ servce: 'x' });",
  notCompiled: undefined,
};

describe('the examples of README.md and docs/', () => {
  let problems: string[] = [];
  beforeAll(async () => {
    problems = await typecheck([...compiled, MISSPELT]);
  });

  it(`typecheck against the package: ${compiled.length} compiled, ${optedOut.length} opted out`, () => {
    expect(compiled.length).toBeGreaterThan(0);
    expect(problems.filter((problem) => !problem.startsWith(`${MISSPELT.page},`))).toEqual([]);
  });

  it('name the page, the example and the line of an error', () => {
    const misspelt = problems.filter((problem) => problem.startsWith(`${MISSPELT.page},`));
    expect(misspelt).toHaveLength(1);
    expect(misspelt[0]).toMatch(/^docs\/guide\/misspelt\.md, example 2 \(page line 12\): error TS2561: .*servce/);
  });

  it('opt out only with a reason, on the line right before a TypeScript block', () => {
    expect(optedOut.filter((example) => example.notCompiled === '').map((example) => `${example.page}, example ${example.number}`)).toEqual([]);
    const stray: string[] = [];
    for (const page of documentationPages()) {
      const lines = readPage(page).split('\n');
      lines.forEach((line, index) => {
        if (/^\s*<!--\s*not compiled/.test(line) && !/^\s*(`{3,}|~{3,})\s*(ts|typescript)\b/i.test(lines[index + 1] ?? '')) stray.push(`${page}:${index + 1}`);
      });
    }
    expect(stray).toEqual([]);
  });

  it('are found as the pages write them: ts and typescript fences, in lists too, with their opt-out markers', () => {
    const page = [
      '```ts',
      'const a = 1;',
      '```',
      '- a list item:',
      '',
      '  ```typescript',
      '  const b = 2;',
      '  ```',
      '<!-- not compiled: output of a run -->',
      '```ts',
      'obs.',
      '```',
      '```sh',
      'npm test',
      '```',
    ].join('\n');
    expect(codeBlocks(page).map(({ lang, line, code, notCompiled }) => ({ lang, line, code, notCompiled }))).toEqual([
      { lang: 'ts', line: 1, code: 'const a = 1;', notCompiled: undefined },
      { lang: 'typescript', line: 6, code: 'const b = 2;', notCompiled: undefined },
      { lang: 'ts', line: 10, code: 'obs.', notCompiled: 'output of a run' },
      { lang: 'sh', line: 13, code: 'npm test', notCompiled: undefined },
    ]);
  });
});
