import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { catalogued } from '../../scripts/environmentCatalogue';

const ROOT = path.resolve(__dirname, '..', '..');
const CODE_FOLDERS = ['src', 'middleware', 'gateway', 'competitor', 'scripts', 'infra', 'bench', 'test/support'];
/** Read by the operating system's tools or passed between a benchmark and its own children. */
const NOT_SETTINGS = new Set(['PATH', 'UPSTREAM_PORT', 'MAX_SOCKETS']);

// `process.env.NAME`, `env.NAME`, `environment.NAME`, `env['NAME']`, and helpers called as `(env, 'NAME'`.
const READS = [
  /\b(?:process\.env|env|environment)\.([A-Z][A-Z0-9_]+)\b/g,
  /\b(?:process\.env|env|environment)\[\s*'([A-Z][A-Z0-9_]+)'\s*\]/g,
  /\(\s*env\s*,\s*'([A-Z][A-Z0-9_]+)'/g,
];

function sourceFiles(folder: string): string[] {
  return readdirSync(path.join(ROOT, folder), { recursive: true })
    .map(String)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(ROOT, folder, file));
}

export function variablesRead(text: string): Set<string> {
  const names = new Set<string>();
  for (const pattern of READS) for (const match of text.matchAll(pattern)) names.add(match[1] as string);
  return names;
}

describe('the environment catalogue', () => {
  it('lists every variable the code reads', () => {
    const known = catalogued();
    const missing = new Map<string, string>();
    for (const file of CODE_FOLDERS.flatMap(sourceFiles)) {
      for (const name of variablesRead(readFileSync(file, 'utf8'))) {
        if (!known.has(name) && !NOT_SETTINGS.has(name)) missing.set(name, path.relative(ROOT, file));
      }
    }
    expect(Object.fromEntries(missing)).toEqual({});
  });

  it('finds reads written in each way the code uses', () => {
    expect([...variablesRead("process.env.A_B; env.CC; environment['D_E']; integer(env, 'FF', 3)")].sort()).toEqual(['A_B', 'CC', 'D_E', 'FF']);
  });
});
