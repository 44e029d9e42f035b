import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/** Lints each snippet as if it were the file named, with the repository's own config, in one child (ESLint loads it as an ES module). */
const LINT_SNIPPETS = `
const { ESLint } = require('eslint');
(async () => {
  const cases = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
  const eslint = new ESLint({ cwd: process.cwd() });
  const out = [];
  for (const [file, code] of cases) {
    const [result] = await eslint.lintText(code, { filePath: require('node:path').resolve(file) });
    out.push(result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message));
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

function layerProblems(cases: readonly (readonly [string, string])[]): string[][] {
  const output = execFileSync(process.execPath, ['-e', LINT_SNIPPETS], { cwd: root, input: JSON.stringify(cases), encoding: 'utf8' });
  return JSON.parse(output) as string[][];
}

const refused: [file: string, code: string, message: RegExp][] = [
  ['src/anything.ts', "import express from 'express';\nexport const app = express;\n", /knows no Express/],
  ['src/anything.ts', "import { requestIdOf } from '../middleware/requestState';\nexport const of = requestIdOf;\n", /build on it, not the other way/],
  ['src/dashboard/anything.ts', "import { createObservability } from '../../middleware';\nexport const c = createObservability;\n", /build on it/],
  ['middleware/anything.ts', "import { createGatewayApp } from '../gateway/app';\nexport const c = createGatewayApp;\n", /the apps build on it/],
  ['gateway/anything.ts', "import { createLogger } from '../src/logger';\nexport const c = createLogger;\n", /package's entries only/],
  ['competitor/sandbox/anything.ts', "import { requestIdOf } from '../../middleware/requestState';\nexport const c = requestIdOf;\n", /package's entries only/],
  ['gateway/anything.ts', "import { loadCompetitorConfig } from '../competitor/config';\nexport const c = loadCompetitorConfig;\n", /share no code/],
];

const allowed: [file: string, code: string][] = [
  ['gateway/anything.ts', "import { createObservability } from '../middleware';\nexport const c = createObservability;\n"],
  ['competitor/sandbox/anything.ts', "import type { EventBus } from '../../src';\nexport type B = EventBus;\n"],
  ['middleware/anything.ts', "import { createLogger } from '../src/logger';\nexport const c = createLogger;\n"],
  ['src/anything.ts', "import { createLogger } from './logger';\nexport const c = createLogger;\n"],
];

describe('lint keeps the layers apart', () => {
  let problems: string[][] = [];
  beforeAll(() => {
    problems = layerProblems([...refused.map(([file, code]) => [file, code] as const), ...allowed]);
  });

  it.each(refused.map((entry, index) => [...entry, index] as const))('refuses in %s: %s', (_file, _code, message, index) => {
    expect(problems[index]).toHaveLength(1);
    expect(problems[index]?.[0]).toMatch(message);
  });

  it.each(allowed.map((entry, index) => [...entry, refused.length + index] as const))('allows in %s: %s', (_file, _code, index) => {
    expect(problems[index]).toEqual([]);
  });
});
