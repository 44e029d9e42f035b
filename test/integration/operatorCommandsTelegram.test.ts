import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { audioTelegram } from '../../scripts/audioTelegram';
import { notifyTelegram } from '../../scripts/notifyTelegram';
import { audioFormatOf } from '../../scripts/speech';
import { startFakeTelegramApi, type FakeTelegramApi } from '../support/fakeTelegramApi';
import { captureOutput, runScript } from '../support/operatorCommand';
import { describeWithBinary, systemBinary } from '../support/systemBinary';

/**
 * `notify-telegram` and `audio-telegram` against a fake Bot API on port 0: what they send,
 * what they print (never the token), and their exit codes, in process and as real child
 * processes. The audio cases speak with the real espeak-ng.
 */

const TOKEN = '123456:contract-secret-token';
const CHAT = '-100042';

let api: FakeTelegramApi;
let scratch: string;

beforeEach(async () => {
  api = await startFakeTelegramApi();
  scratch = mkdtempSync(path.join(os.tmpdir(), 'operator-telegram-'));
});

afterEach(async () => {
  await api.close();
  rmSync(scratch, { recursive: true, force: true });
});

const credentials = (): Record<string, string> => ({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_CHAT_ID: CHAT, TELEGRAM_API_BASE: api.url });

describe('notify-telegram', () => {
  it('sends the text with sendMessage and prints the message id, never the token', async () => {
    const output = captureOutput();
    const code = await notifyTelegram(['deploy', 'of 1.4.0 is healthy'], credentials(), output);
    expect(code).toBe(0);
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0]).toMatchObject({ token: TOKEN, method: 'sendMessage', multipart: false, fields: { chat_id: CHAT, text: 'deploy of 1.4.0 is healthy' } });
    expect(output.stdout).toEqual([`sent to chat ${CHAT} (message_id 101)`]);
    expect(output.text()).not.toContain(TOKEN);
  });

  it("exits 1 with the API's description when Telegram refuses, token scrubbed", async () => {
    api.refuse(400, `Bad Request: chat not found (bot ${TOKEN})`);
    const output = captureOutput();
    const code = await notifyTelegram(['hello'], credentials(), output);
    expect(code).toBe(1);
    expect(output.stderr.join('\n')).toContain('Telegram sendMessage failed (HTTP 400): Bad Request: chat not found (bot <TELEGRAM_BOT_TOKEN>)');
    expect(output.text()).not.toContain(TOKEN);
  });

  it('exits 1 naming the failure when the API cannot be reached', async () => {
    const closed = api.url;
    await api.close();
    const output = captureOutput();
    const code = await notifyTelegram(['hello'], { ...credentials(), TELEGRAM_API_BASE: closed }, output);
    expect(code).toBe(1);
    expect(output.stderr.join('\n')).toMatch(/Telegram sendMessage request failed: fetch failed: .*ECONNREFUSED/);
    api = await startFakeTelegramApi();
  });

  it('prints what it would send with --dry-run, and sends nothing', async () => {
    const output = captureOutput();
    const code = await notifyTelegram(['--dry-run', 'rollback started'], credentials(), output);
    expect(code).toBe(0);
    expect(api.requests).toHaveLength(0);
    expect(output.stdout).toEqual([
      `dry run (--dry-run): nothing sent; would POST ${api.url}/bot<TELEGRAM_BOT_TOKEN>/sendMessage`,
      JSON.stringify({ chat_id: CHAT, text: 'rollback started' }),
    ]);
    expect(output.text()).not.toContain(TOKEN);
  });

  it('runs dry, naming what is missing, without credentials', async () => {
    const output = captureOutput();
    expect(await notifyTelegram(['hello'], { TELEGRAM_CHAT_ID: CHAT }, output)).toBe(0);
    expect(output.stdout[0]).toBe('dry run (TELEGRAM_BOT_TOKEN not set): nothing sent; would POST https://api.telegram.org/bot<TELEGRAM_BOT_TOKEN>/sendMessage');
    const none = captureOutput();
    expect(await notifyTelegram(['hello'], {}, none)).toBe(0);
    expect(none.stdout[0]).toContain('dry run (TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID not set)');
    expect(none.stdout[1]).toBe(JSON.stringify({ chat_id: '<TELEGRAM_CHAT_ID>', text: 'hello' }));
  });

  it.each([
    ['no text', [], {}, 'no text given'],
    ['an unknown option', ['--loud', 'hi'], {}, "Unknown option '--loud'"],
    ['a text over 4096 characters', ['x'.repeat(4097)], {}, 'the text is 4097 characters; at most 4096 are accepted'],
    ['a TELEGRAM_API_BASE that is not a URL', ['hi'], { TELEGRAM_API_BASE: 'api.telegram.org' }, 'TELEGRAM_API_BASE must be an http(s) URL, got "api.telegram.org"'],
  ])('exits 2 with the usage on %s', async (_case, argv, env, message) => {
    const output = captureOutput();
    expect(await notifyTelegram(argv, env, output)).toBe(2);
    expect(output.stderr.join('\n')).toContain(message);
    expect(output.stderr.join('\n')).toContain('usage: npm run notify-telegram');
  });

  it('sends, and exits 1 on a refusal, as its own process', async () => {
    const sent = await runScript('notifyTelegram.ts', ['build', 'green'], credentials());
    expect({ code: sent.code, stdout: sent.stdout }).toEqual({ code: 0, stdout: `sent to chat ${CHAT} (message_id 101)\n` });
    expect(api.requests.map((request) => request.fields.text)).toEqual(['build green']);
    api.refuse(403, 'Forbidden: bot was blocked by the user');
    const refused = await runScript('notifyTelegram.ts', ['again'], credentials());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Forbidden: bot was blocked by the user');
    const usage = await runScript('notifyTelegram.ts', [], credentials());
    expect(usage.code).toBe(2);
  }, 60_000);
});

/** A PATH holding only espeak-ng (and what is put beside it): whether an encoder is used does not depend on the machine. */
function searchPathWith(extra: Record<string, string> = {}): string {
  const directory = mkdtempSync(path.join(scratch, 'bin-'));
  const espeak = systemBinary('espeak-ng');
  if (espeak !== undefined) symlinkSync(espeak, path.join(directory, 'espeak-ng'));
  for (const [name, script] of Object.entries(extra)) {
    writeFileSync(path.join(directory, name), script);
    chmodSync(path.join(directory, name), 0o755);
  }
  return directory;
}

describe('audio-telegram without espeak-ng', () => {
  it('exits 3 naming espeak-ng when it is not on PATH, and sends nothing', async () => {
    const output = captureOutput();
    const code = await audioTelegram(['hello'], credentials(), output, { searchPath: mkdtempSync(path.join(scratch, 'empty-')), tmpDir: scratch });
    expect(code).toBe(3);
    expect(output.stderr).toEqual(['audio-telegram: espeak-ng not found on PATH (apt-get install espeak-ng)']);
    expect(api.requests).toHaveLength(0);
  });
});

describeWithBinary('espeak-ng', 'audio-telegram', () => {
  it('uploads the spoken WAV as multipart/form-data with sendAudio when no Opus encoder is available', async () => {
    const output = captureOutput();
    const code = await audioTelegram(['deploy', 'finished,', 'all checks green'], credentials(), output, { searchPath: searchPathWith(), tmpDir: scratch });
    expect(output.stderr).toEqual([]);
    expect(code).toBe(0);
    expect(api.requests).toHaveLength(1);
    const [received] = api.requests;
    expect(received).toMatchObject({ token: TOKEN, method: 'sendAudio', multipart: true, fields: { chat_id: CHAT, caption: 'deploy finished, all checks green' } });
    expect(received!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(received!.files).toHaveLength(1);
    const file = received!.files[0]!;
    expect({ field: file.field, name: file.name, type: file.type }).toEqual({ field: 'audio', name: 'speech.wav', type: 'audio/wav' });
    expect(audioFormatOf(file.bytes)).toBe('wav');
    expect(file.bytes.length).toBeGreaterThan(10_000);
    expect(output.stdout[1]).toBe(`sent audio to chat ${CHAT} with sendAudio (message_id 101)`);
    expect(output.text()).not.toContain(TOKEN);
    // The audio folder is removed once sent.
    const audioPath = /^audio: (\S+)/.exec(output.stdout[0]!)![1]!;
    expect(existsSync(audioPath)).toBe(false);
  });

  it('sends OGG with sendVoice when an Opus encoder is on PATH, and the WAV when the encoder fails', async () => {
    // A stand-in opusenc (`opusenc --quiet in.wav out.ogg`) writing an Ogg page header and the input.
    const encoder = '#!/bin/sh\nprintf "OggS" > "$3"\ncat "$2" >> "$3"\n';
    const output = captureOutput();
    expect(await audioTelegram(['voice', 'check'], credentials(), output, { searchPath: searchPathWith({ opusenc: encoder }), tmpDir: scratch })).toBe(0);
    const voice = api.requests[0]!;
    expect(voice.method).toBe('sendVoice');
    expect(voice.files.map(({ field, name, type }) => ({ field, name, type }))).toEqual([{ field: 'voice', name: 'speech.ogg', type: 'audio/ogg' }]);
    expect(audioFormatOf(voice.files[0]!.bytes)).toBe('ogg');
    expect(output.stdout[0]).toMatch(/^audio: \S+speech\.ogg \(\d+ bytes, audio\/ogg; espeak-ng, encoded by opusenc\)$/);

    const broken = captureOutput();
    expect(await audioTelegram(['voice', 'check'], credentials(), broken, { searchPath: searchPathWith({ opusenc: '#!/bin/sh\necho "no libopus" >&2\nexit 1\n' }), tmpDir: scratch })).toBe(0);
    expect(api.requests[1]!.method).toBe('sendAudio');
    expect(broken.stdout[0]).toContain('opusenc could not encode OGG/Opus (exit 1: no libopus); sending the WAV');
  });

  it('makes and keeps the audio file on a dry run, printing its path and size, and sends nothing', async () => {
    const output = captureOutput();
    const code = await audioTelegram(['--dry-run', 'dry run voice'], credentials(), output, { searchPath: searchPathWith(), tmpDir: scratch });
    expect(code).toBe(0);
    expect(api.requests).toHaveLength(0);
    const match = /^audio: (\S+) \((\d+) bytes, audio\/wav; espeak-ng; no Opus encoder \(ffmpeg, opusenc\) on PATH\)$/.exec(output.stdout[0]!);
    expect(match).not.toBeNull();
    const bytes = readFileSync(match![1]!);
    expect(bytes.length).toBe(Number(match![2]));
    expect(audioFormatOf(bytes)).toBe('wav');
    expect(output.stdout[1]).toBe(`dry run (--dry-run): nothing sent; would POST ${api.url}/bot<TELEGRAM_BOT_TOKEN>/sendAudio as multipart/form-data`);
    expect(JSON.parse(output.stdout[2]!)).toEqual({ chat_id: CHAT, caption: 'dry run voice', audio: `@${match![1]}` });
    expect(output.text()).not.toContain(TOKEN);
  });

  it("exits 1 with the API's description when the upload is refused", async () => {
    api.refuse(413, 'Request Entity Too Large');
    const output = captureOutput();
    expect(await audioTelegram(['too big'], credentials(), output, { searchPath: searchPathWith(), tmpDir: scratch })).toBe(1);
    expect(output.stderr).toEqual(['audio-telegram: Telegram sendAudio failed (HTTP 413): Request Entity Too Large']);
  });

  it('runs dry without credentials as its own process, leaving the file it made', async () => {
    const run = await runScript('audioTelegram.ts', ['status', 'report'], { TMPDIR: scratch });
    expect(run.code).toBe(0);
    const audioPath = /^audio: (\S+) \((\d+) bytes/m.exec(run.stdout)?.[1];
    expect(audioPath).toBeDefined();
    expect(audioPath!.startsWith(scratch)).toBe(true);
    expect(audioFormatOf(readFileSync(audioPath!))).toMatch(/^(wav|ogg)$/);
    expect(run.stdout).toContain('dry run (TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID not set): nothing sent');
    expect(api.requests).toHaveLength(0);
  }, 60_000);
});
