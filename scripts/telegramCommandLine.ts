import { flagOption, parseCommandLine, textArgument, UsageError, USAGE_EXIT_CODE, type CommandOutput } from './cliArguments';
import { MAX_MESSAGE_LENGTH, TelegramConfigError, telegramSetup, type TelegramSetup } from './telegram';

export interface TelegramCommandLine {
  readonly text: string;
  readonly dryRun: boolean;
  readonly setup: TelegramSetup;
}

/**
 * `[--dry-run] "<text>"`, the command line of notify-telegram and audio-telegram, with the
 * Telegram settings from `env`. A number is an exit code to return at once: 0 after
 * `--help`, 2 after a usage or settings error (printed with the usage).
 */
export function telegramCommandLine(
  name: string,
  usage: string,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  output: CommandOutput,
): TelegramCommandLine | number {
  try {
    const parsed = parseCommandLine(argv, { 'dry-run': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
    if (flagOption(parsed, 'help')) {
      output.out(usage);
      return 0;
    }
    return {
      text: textArgument(parsed.positionals, MAX_MESSAGE_LENGTH),
      dryRun: flagOption(parsed, 'dry-run'),
      setup: telegramSetup(env),
    };
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof TelegramConfigError)) throw error;
    output.err(`${name}: ${error.message}\n${usage}`);
    return USAGE_EXIT_CODE;
  }
}
