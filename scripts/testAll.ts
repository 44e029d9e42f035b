import { readdirSync } from 'node:fs';
import path from 'node:path';
import { processOutput, runAsCommand, type CommandOutput } from './cliArguments';
import { runPipelineSmoke } from './pipelineSmoke';
import { runStepCommand } from './stepCommand';
import { localTool, repositoryRoot, skippedStep, toolStep, type Step } from './steps';

/**
 * `npm run test-all [-- --only <step>[,<step>…]] [--list]`: the jest suite folder by folder
 * (unit, integration, e2e, browser), then a smoke test of the local pipeline. Prints a
 * summary table; exits 1 when a step failed, 2 on a bad command line.
 */

const USAGE = 'usage: npm run test-all -- [--only <step>[,<step>...]] [--list]';

export const TEST_FOLDERS = [
  { name: 'unit', folder: 'test/unit', description: 'jest test/unit (one file per module)' },
  { name: 'integration', folder: 'test/integration', description: 'jest test/integration (real apps on port 0)' },
  { name: 'e2e', folder: 'test/e2e', description: 'jest test/e2e (services in real processes)' },
  { name: 'browser', folder: 'test/browser', description: 'jest test/browser (headless Chromium)' },
] as const;

function hasTests(folder: string): boolean {
  try {
    return readdirSync(folder, { recursive: true }).some((entry) => String(entry).endsWith('.test.ts'));
  } catch {
    return false;
  }
}

/** One jest run per test folder (skipped when the folder holds no test), then the pipeline smoke test. */
export function testAllSteps(root: string, appRoot: string, extension: '.ts' | '.js'): Step[] {
  const jest = localTool(root, 'jest');
  const folderSteps = TEST_FOLDERS.map(({ name, folder, description }) =>
    hasTests(path.join(root, folder))
      ? // A positional pattern is a regular expression on absolute paths (jest 29 and 30 alike): the folder, anchored.
        toolStep(name, description, jest, [`^${escapeRegExp(path.join(root, folder))}/`], { cwd: root })
      : skippedStep(name, description, `no tests in ${folder}/`),
  );
  return [
    ...folderSteps,
    {
      name: 'smoke',
      description: 'start gateway and competitors as npm start does, GET /health/ready, one streamed chat completion, stop',
      run: (context) => runPipelineSmoke({ appRoot, extension, write: context.write }),
    },
  ];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export async function testAll(argv: readonly string[], output: CommandOutput = processOutput, root: string = repositoryRoot()): Promise<number> {
  // Services run from where this file runs: dist/ after `npm run build`, the sources under ts-node.
  const extension = path.extname(__filename) === '.ts' ? '.ts' : '.js';
  return runStepCommand('test-all', USAGE, argv, output, () => testAllSteps(root, path.resolve(__dirname, '..'), extension));
}

if (require.main === module) runAsCommand(() => testAll(process.argv.slice(2)));
