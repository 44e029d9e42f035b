import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { findExecutable } from './executables';

/**
 * Text to a voice file for `audio-telegram`: espeak-ng speaks into a WAV; when an Opus
 * encoder is on PATH (`ffmpeg` with libopus, or `opusenc`), the WAV becomes OGG/Opus,
 * which Telegram plays as a voice message. Without one the WAV is kept as is. Every file
 * is checked by its magic bytes: espeak-ng exits 0 even when it could not write.
 */

export type AudioFormat = 'wav' | 'ogg';

export const CONTENT_TYPE: Readonly<Record<AudioFormat, string>> = { wav: 'audio/wav', ogg: 'audio/ogg' };

export interface SpokenAudio {
  readonly path: string;
  readonly bytes: number;
  readonly format: AudioFormat;
  /** The encoder that made the OGG file; undefined for a WAV. */
  readonly encoder: string | undefined;
  /** Why the file is a WAV when an OGG was possible (the encoder failed). */
  readonly note: string | undefined;
}

/** Speech could not be produced: espeak-ng missing, failing, or writing no audio. */
export class SpeechError extends Error {
  override readonly name = 'SpeechError';
}

export interface SpeakOptions {
  /** Folder the files are written to (`speech.wav`, `speech.ogg`). */
  readonly directory: string;
  /** `PATH` to find espeak-ng and an encoder on. Default `process.env.PATH`. */
  readonly searchPath?: string;
  /** Limit for each child process. Default 60 s. */
  readonly timeoutMs?: number;
}

/** The container of an audio file from its first bytes: `RIFF….WAVE` or `OggS`. */
export function audioFormatOf(head: Uint8Array): AudioFormat | undefined {
  const text = Buffer.from(head.subarray(0, 12)).toString('latin1');
  if (text.startsWith('RIFF') && text.slice(8, 12) === 'WAVE') return 'wav';
  if (text.startsWith('OggS')) return 'ogg';
  return undefined;
}

export interface OpusEncoder {
  readonly name: 'ffmpeg' | 'opusenc';
  readonly path: string;
}

/** The first Opus encoder on `searchPath`. `oggenc` is left out: it writes Vorbis, which Telegram does not play as a voice message. */
export function findOpusEncoder(searchPath: string = process.env.PATH ?? ''): OpusEncoder | undefined {
  for (const name of ['ffmpeg', 'opusenc'] as const) {
    const found = findExecutable(name, searchPath);
    if (found !== undefined) return { name, path: found };
  }
  return undefined;
}

export function encoderArguments(encoder: OpusEncoder, wav: string, ogg: string): string[] {
  return encoder.name === 'ffmpeg'
    ? ['-hide_banner', '-loglevel', 'error', '-y', '-i', wav, '-c:a', 'libopus', '-b:a', '32k', ogg]
    : ['--quiet', wav, ogg];
}

/** Speaks `text` into `directory/speech.wav`, then encodes it to `speech.ogg` when an encoder is available. */
export async function speak(text: string, options: SpeakOptions): Promise<SpokenAudio> {
  const { directory, searchPath = process.env.PATH ?? '', timeoutMs = 60_000 } = options;
  const espeak = findExecutable('espeak-ng', searchPath);
  if (espeak === undefined) throw new SpeechError('espeak-ng not found on PATH (apt-get install espeak-ng)');
  const wav = path.join(directory, 'speech.wav');
  // The text goes in on stdin: no argument parsing of text that starts with a dash, no length limit of argv.
  const spoken = await runChild(espeak, ['-w', wav, '--stdin'], text, timeoutMs);
  const wavBytes = await checkedSize(wav, 'wav');
  if (wavBytes === undefined) {
    throw new SpeechError(`espeak-ng wrote no WAV audio to ${wav} (exit ${spoken.code}${spoken.output === '' ? '' : `: ${spoken.output}`})`);
  }
  const encoder = findOpusEncoder(searchPath);
  if (encoder === undefined) return { path: wav, bytes: wavBytes, format: 'wav', encoder: undefined, note: undefined };
  const ogg = path.join(directory, 'speech.ogg');
  const encoded = await runChild(encoder.path, encoderArguments(encoder, wav, ogg), '', timeoutMs);
  const oggBytes = await checkedSize(ogg, 'ogg');
  if (encoded.code !== 0 || oggBytes === undefined) {
    const why = `${encoder.name} could not encode OGG/Opus (exit ${encoded.code}${encoded.output === '' ? '' : `: ${encoded.output}`}); sending the WAV`;
    return { path: wav, bytes: wavBytes, format: 'wav', encoder: undefined, note: why };
  }
  return { path: ogg, bytes: oggBytes, format: 'ogg', encoder: encoder.name, note: undefined };
}

/** The file's size when it exists, is not empty and starts like `format`; else undefined. */
async function checkedSize(file: string, format: AudioFormat): Promise<number | undefined> {
  try {
    const { size } = await stat(file);
    if (size === 0) return undefined;
    const head = (await readFile(file)).subarray(0, 12);
    return audioFormatOf(head) === format ? size : undefined;
  } catch {
    return undefined;
  }
}

interface ChildOutcome {
  readonly code: number | null;
  /** stderr and stdout, trimmed to one short line. */
  readonly output: string;
}

function runChild(command: string, args: readonly string[], input: string, timeoutMs: number): Promise<ChildOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let output = '';
    const collect = (chunk: Buffer): void => {
      if (output.length < 2000) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error) => reject(new SpeechError(`${path.basename(command)} could not start: ${error.message}`)));
    child.once('close', (code) => resolve({ code, output: output.replace(/\s+/g, ' ').trim().slice(0, 300) }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}
