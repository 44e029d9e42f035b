import { existsSync } from 'node:fs';
import path from 'node:path';
import { processOutput, runAsCommand, type CommandOutput } from './cliArguments';
import { findExecutable } from './executables';
import { runStepCommand } from './stepCommand';
import { commandStep, failedStep, localTool, repositoryRoot, skippedStep, toolStep, type Step } from './steps';

/**
 * `npm run verify-complete [-- --only <step>[,<step>…]] [--list]`: lint, typecheck, the
 * whole jest suite, then the contract checks (JSON Schemas against real output, and
 * promtool on `infra/prometheus/`). Prints a summary table; exits 1 when a step failed,
 * 2 on a bad command line.
 */

const USAGE = 'usage: npm run verify-complete -- [--only <step>[,<step>...]] [--list]';

/** The Prometheus files checked when `infra/prometheus/` exists, each by one promtool command. */
export const PROMTOOL_CHECKS = [
  { name: 'promtool-config', file: 'prometheus.yml', command: ['check', 'config'], description: 'promtool check config infra/prometheus/prometheus.yml' },
  { name: 'promtool-rules', file: 'rules.yml', command: ['check', 'rules'], description: 'promtool check rules infra/prometheus/rules.yml' },
  { name: 'promtool-rule-tests', file: 'rules.test.yml', command: ['test', 'rules'], description: 'promtool test rules infra/prometheus/rules.test.yml' },
] as const;

/**
 * promtool steps: skipped when `infra/prometheus/` does not exist; a failure naming the
 * file when the folder exists without it, or naming promtool when it is not installed.
 */
export function promtoolSteps(root: string, promtool: string | undefined): Step[] {
  const folder = path.join(root, 'infra', 'prometheus');
  return PROMTOOL_CHECKS.map(({ name, file, command, description }) => {
    const relative = path.posix.join('infra', 'prometheus', file);
    if (!existsSync(folder)) return skippedStep(name, description, 'infra/prometheus/ not present');
    if (!existsSync(path.join(folder, file))) return failedStep(name, description, `missing ${relative}`);
    if (promtool === undefined) return failedStep(name, description, 'promtool not on PATH (apt-get install prometheus)');
    return commandStep(name, description, promtool, [...command, relative], { cwd: root });
  });
}

export function verifySteps(root: string, promtool: string | undefined): Step[] {
  const jest = localTool(root, 'jest');
  return [
    toolStep('lint', 'eslint .', localTool(root, 'eslint'), ['.'], { cwd: root }),
    toolStep('typecheck', 'tsc -p tsconfig.json --noEmit', localTool(root, 'typescript', 'tsc'), ['-p', 'tsconfig.json', '--noEmit'], { cwd: root }),
    toolStep('tests', 'jest (the whole suite)', jest, [], { cwd: root }),
    toolStep('contract-schemas', 'schemas/*.schema.json against real log lines, health and error bodies', jest, ['--runTestsByPath', 'test/integration/contractSchemas.test.ts'], { cwd: root }),
    ...promtoolSteps(root, promtool),
  ];
}

export async function verifyComplete(argv: readonly string[], output: CommandOutput = processOutput, root: string = repositoryRoot()): Promise<number> {
  return runStepCommand('verify-complete', USAGE, argv, output, () => verifySteps(root, findExecutable('promtool')));
}

if (require.main === module) runAsCommand(() => verifyComplete(process.argv.slice(2)));
