import { flagOption, listOption, parseCommandLine, UsageError, USAGE_EXIT_CODE, type CommandOutput } from './cliArguments';
import { exitCodeOf, formatStepList, formatSummary, runSteps, selectSteps, type Step } from './steps';

/**
 * The command line shared by `test-all` and `verify-complete`: `--only a,b` picks steps,
 * `--list` and `--help` print them; every picked step runs, then a summary and the exit code.
 */
export async function runStepCommand(
  name: string,
  usage: string,
  argv: readonly string[],
  output: CommandOutput,
  stepsOf: () => Step[],
): Promise<number> {
  let steps: Step[];
  try {
    const parsed = parseCommandLine(argv, { only: { type: 'string', multiple: true }, list: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
    if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[0])}`);
    const all = stepsOf();
    if (flagOption(parsed, 'help')) {
      output.out(`${usage}\n\nsteps:\n${formatStepList(all)}`);
      return 0;
    }
    if (flagOption(parsed, 'list')) {
      output.out(formatStepList(all));
      return 0;
    }
    steps = selectSteps(all, listOption(parsed, 'only'));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    output.err(`${name}: ${error.message}\n${usage}`);
    return USAGE_EXIT_CODE;
  }
  const results = await runSteps(steps, { write: output.write });
  output.out(`\n${formatSummary(name, results)}`);
  return exitCodeOf(results);
}
