import path from 'node:path';

/** The program a child runs: `file` with `args`, plus `env` on top of the filtered environment. */
export interface SandboxCommand {
  readonly file: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * How to run a script with this Node: TypeScript through ts-node's transpile-only hook (under
 * jest or ts-node, where the sources are .ts), JavaScript directly (from the compiled dist).
 */
export function nodeCommand(script: string): SandboxCommand {
  if (path.extname(script) !== '.ts') return { file: process.execPath, args: [script] };
  return {
    file: process.execPath,
    args: ['-r', require.resolve('ts-node/register/transpile-only'), script],
    // ts-node looks for its tsconfig from the working directory, which may be anywhere.
    env: { TS_NODE_PROJECT: path.resolve(__dirname, '..', '..', 'tsconfig.json') },
  };
}

/** The built-in child program, `child.ts` (or `child.js` in the compiled dist) next to this file. */
export function defaultCommand(): SandboxCommand {
  return nodeCommand(path.join(__dirname, `child${path.extname(__filename)}`));
}
