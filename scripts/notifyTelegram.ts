import { flagOption, parseCommandLine, processOutput, runAsCommand, textArgument, UsageError, USAGE_EXIT_CODE, type CommandOutput } from './cliArguments';
import { messageOf } from './describeFailure';
import { callTelegram, displayedMethodUrl, MAX_MESSAGE_LENGTH, TelegramConfigError, telegramSetup, type TelegramCallOptions } from './telegram';

/**
 * `npm run notify-telegram -- [--dry-run] "<text>"`: sends the text to `TELEGRAM_CHAT_ID`
 * through the Bot API's `sendMessage`. With `--dry-run`, or without `TELEGRAM_BOT_TOKEN` /
 * `TELEGRAM_CHAT_ID`, prints the request it would make (never the token) and exits 0.
 * Exit codes: 0 sent (or dry run), 1 the API refused or could not be reached (its
 * description printed), 2 bad usage.
 */

const USAGE = 'usage: npm run notify-telegram -- [--dry-run] "<text>"';

export async function notifyTelegram(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
  output: CommandOutput = processOutput,
  call: TelegramCallOptions = {},
): Promise<number> {
  let text: string;
  let dryRun: boolean;
  let setup: ReturnType<typeof telegramSetup>;
  try {
    const parsed = parseCommandLine(argv, { 'dry-run': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
    if (flagOption(parsed, 'help')) {
      output.out(USAGE);
      return 0;
    }
    text = textArgument(parsed.positionals, MAX_MESSAGE_LENGTH);
    dryRun = flagOption(parsed, 'dry-run');
    setup = telegramSetup(env);
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof TelegramConfigError)) throw error;
    output.err(`notify-telegram: ${error.message}\n${USAGE}`);
    return USAGE_EXIT_CODE;
  }

  if (dryRun || !setup.configured) {
    const reason = dryRun ? '--dry-run' : `${setup.configured ? '' : setup.missing.join(' and ')} not set`;
    const chatId = setup.configured ? setup.config.chatId : (setup.chatId ?? '<TELEGRAM_CHAT_ID>');
    const apiBase = setup.configured ? setup.config.apiBase : setup.apiBase;
    output.out(`dry run (${reason}): nothing sent; would POST ${displayedMethodUrl(apiBase, 'sendMessage')}`);
    output.out(JSON.stringify({ chat_id: chatId, text }));
    return 0;
  }

  try {
    const result = (await callTelegram(setup.config, 'sendMessage', { chat_id: setup.config.chatId, text }, call)) as { message_id?: unknown } | null;
    const id = typeof result?.message_id === 'number' ? ` (message_id ${result.message_id})` : '';
    output.out(`sent to chat ${setup.config.chatId}${id}`);
    return 0;
  } catch (error) {
    output.err(`notify-telegram: ${messageOf(error)}`);
    return 1;
  }
}

if (require.main === module) runAsCommand(() => notifyTelegram(process.argv.slice(2)));
