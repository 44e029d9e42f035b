import { processOutput, runAsCommand, type CommandOutput } from './cliArguments';
import { messageOf } from './describeFailure';
import { callTelegram, displayedMethodUrl, type TelegramCallOptions } from './telegram';
import { telegramCommandLine } from './telegramCommandLine';

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
  const commandLine = telegramCommandLine('notify-telegram', USAGE, argv, env, output);
  if (typeof commandLine === 'number') return commandLine;
  const { text, dryRun, setup } = commandLine;

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
