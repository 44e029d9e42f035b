import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where the server processes find the earlier build's package entry. */
export const BEFORE_ENTRY_VARIABLE = 'BENCH_BEFORE_ENTRY';

/** The commit `BENCH_BEFORE` named, built beside this checkout. */
export interface BeforeBuild {
  /** As given: a commit, tag or branch. */
  readonly ref: string;
  readonly commit: string;
  readonly subject: string;
  /** Its package entry (`main` of its package.json), compiled. */
  readonly entry: string;
}

/**
 * Exports the commit's tree into <tmpdir>/sightline-before-<commit> and compiles its library there
 * with this checkout's TypeScript; node_modules is a link to this checkout's, so the two builds differ
 * only in sightline's own code. Outside the checkout, so its sources and tests are never taken for
 * this checkout's by tsc, eslint or jest. A tree already built is reused.
 */
export function prepareBeforeBuild(root: string, ref: string): BeforeBuild {
  const commit = git(root, ['rev-parse', '--verify', `${ref}^{commit}`]).trim();
  const subject = git(root, ['log', '-1', '--format=%s', commit]).trim();
  const directory = path.join(os.tmpdir(), `sightline-before-${commit.slice(0, 12)}`);
  const entryOf = (): string => {
    const { main } = JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8')) as { main?: unknown };
    if (typeof main !== 'string') throw new Error(`${commit}: its package.json names no main entry`);
    return path.join(directory, main);
  };
  if (existsSync(path.join(directory, 'package.json')) && existsSync(entryOf())) {
    return { ref, commit, subject, entry: entryOf() };
  }
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  const archive = spawnSync('git', ['archive', '--format=tar', commit], { cwd: root, maxBuffer: 1 << 30 });
  if (archive.status !== 0) throw new Error(`git archive ${commit} failed: ${archive.stderr.toString()}`);
  run('tar', ['-x', '-C', directory], root, archive.stdout);
  symlinkSync(path.join(root, 'node_modules'), path.join(directory, 'node_modules'), 'dir');
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  run(process.execPath, [tsc, '-p', path.join(directory, 'tsconfig.lib.json')], directory);
  const entry = entryOf();
  if (!existsSync(entry)) throw new Error(`${commit}: built, but its entry ${entry} is missing`);
  return { ref, commit, subject, entry };
}

function git(root: string, args: readonly string[]): string {
  const result = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr.trim()}`);
  return result.stdout;
}

function run(command: string, args: readonly string[], cwd: string, input?: Buffer): void {
  const result = spawnSync(command, args, { cwd, input, stdio: [input === undefined ? 'ignore' : 'pipe', 'inherit', 'inherit'] });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`);
}
