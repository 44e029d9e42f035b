import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { processOutput, runAsCommand, type CommandOutput } from './cliArguments';
import { messageOf } from './describeFailure';
import { CONTENT_TYPE, speak, SpeechError, type SpokenAudio } from './speech';
import { callTelegram, displayedMethodUrl, MAX_CAPTION_LENGTH, type TelegramCallOptions } from './telegram';
import { telegramCommandLine } from './telegramCommandLine';

/**
 * `npm run audio-telegram -- [--dry-run] "<text>"`: speaks the text with espeak-ng and
 * uploads it as multipart/form-data. With an Opus encoder on PATH (ffmpeg or opusenc) the
 * file is OGG/Opus, sent with `sendVoice` (a voice message); without one it is the WAV,
 * sent with `sendAudio` (Telegram's `sendVoice` plays only OGG/Opus, MP3 and M4A; other
 * formats go as audio or documents). The text is the caption (cut to 1024 characters).
 * With `--dry-run`, or without credentials, the file is still made and kept, and its path
 * and size are printed with the request that would be sent (never the token).
 * Exit codes: 0 sent (or dry run), 1 the API refused or could not be reached, 2 bad
 * usage, 3 no speech (espeak-ng missing or failing).
 */

const USAGE = 'usage: npm run audio-telegram -- [--dry-run] "<text>"';
export const SPEECH_EXIT_CODE = 3;

export interface AudioTelegramOptions extends TelegramCallOptions {
  /** `PATH` to find espeak-ng and an encoder on. Default `process.env.PATH`. */
  readonly searchPath?: string;
  /** Where the audio folder is made. Default the system's temporary folder. */
  readonly tmpDir?: string;
}

/** The Bot API method and form field for a file: OGG/Opus as a voice message, anything else as audio. */
export function uploadMethodOf(audio: Pick<SpokenAudio, 'format'>): { method: 'sendVoice' | 'sendAudio'; field: 'voice' | 'audio' } {
  return audio.format === 'ogg' ? { method: 'sendVoice', field: 'voice' } : { method: 'sendAudio', field: 'audio' };
}

export function captionOf(text: string): string {
  return text.length <= MAX_CAPTION_LENGTH ? text : `${text.slice(0, MAX_CAPTION_LENGTH - 1)}…`;
}

export async function audioTelegram(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
  output: CommandOutput = processOutput,
  options: AudioTelegramOptions = {},
): Promise<number> {
  const commandLine = telegramCommandLine('audio-telegram', USAGE, argv, env, output);
  if (typeof commandLine === 'number') return commandLine;
  const { text, dryRun, setup } = commandLine;

  const directory = await mkdtemp(path.join(options.tmpDir ?? os.tmpdir(), 'sightline-audio-'));
  let audio: SpokenAudio;
  try {
    audio = await speak(text, { directory, searchPath: options.searchPath ?? env.PATH ?? '' });
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    if (!(error instanceof SpeechError)) throw error;
    output.err(`audio-telegram: ${error.message}`);
    return SPEECH_EXIT_CODE;
  }
  const { method, field } = uploadMethodOf(audio);
  const made = audio.encoder === undefined ? `espeak-ng; ${audio.note ?? 'no Opus encoder (ffmpeg, opusenc) on PATH'}` : `espeak-ng, encoded by ${audio.encoder}`;
  output.out(`audio: ${audio.path} (${audio.bytes} bytes, ${CONTENT_TYPE[audio.format]}; ${made})`);
  const caption = captionOf(text);

  if (dryRun || !setup.configured) {
    const reason = dryRun ? '--dry-run' : `${setup.configured ? '' : setup.missing.join(' and ')} not set`;
    const chatId = setup.configured ? setup.config.chatId : (setup.chatId ?? '<TELEGRAM_CHAT_ID>');
    const apiBase = setup.configured ? setup.config.apiBase : setup.apiBase;
    output.out(`dry run (${reason}): nothing sent; would POST ${displayedMethodUrl(apiBase, method)} as multipart/form-data`);
    output.out(JSON.stringify({ chat_id: chatId, caption, [field]: `@${audio.path}` }));
    return 0;
  }

  try {
    const form = new FormData();
    form.append('chat_id', setup.config.chatId);
    form.append('caption', caption);
    const file = await readFile(audio.path);
    form.append(field, new Blob([file], { type: CONTENT_TYPE[audio.format] }), path.basename(audio.path));
    const result = (await callTelegram(setup.config, method, form, options)) as { message_id?: unknown } | null;
    const id = typeof result?.message_id === 'number' ? ` (message_id ${result.message_id})` : '';
    output.out(`sent ${field} to chat ${setup.config.chatId} with ${method}${id}`);
    return 0;
  } catch (error) {
    output.err(`audio-telegram: ${messageOf(error)}`);
    return 1;
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

if (require.main === module) runAsCommand(() => audioTelegram(process.argv.slice(2)));
