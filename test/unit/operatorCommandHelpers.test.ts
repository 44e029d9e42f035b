import { captionOf, uploadMethodOf } from '../../scripts/audioTelegram';
import { numberOption, parseCommandLine, textArgument, UsageError } from '../../scripts/cliArguments';
import { describeFailure } from '../../scripts/describeFailure';
import { latestDeploy, RenderApiError, renderSetup } from '../../scripts/renderDeploys';
import { audioFormatOf } from '../../scripts/speech';
import { telegramSetup } from '../../scripts/telegram';

/** The pure parts of the operator commands: settings, argument checks, response shapes. */

const target = { apiKey: 'k', serviceId: 'srv-1', apiBase: 'http://render.invalid/v1' };
const answering = (status: number, body: string): typeof fetch => async () => new Response(body, { status, headers: { 'content-type': 'application/json' } });

describe('latestDeploy', () => {
  it('reads the first deploy of the list, wrapped or bare, and undefined for none', async () => {
    const wrapped = JSON.stringify([{ deploy: { id: 'dep-1', status: 'live', commit: { id: 'abcdef1234567890' } }, cursor: 'c' }]);
    await expect(latestDeploy(target, answering(200, wrapped), AbortSignal.timeout(1000))).resolves.toEqual({ id: 'dep-1', status: 'live', commit: 'abcdef123456' });
    const bare = JSON.stringify([{ id: 'dep-2', status: 'build_in_progress' }]);
    await expect(latestDeploy(target, answering(200, bare), AbortSignal.timeout(1000))).resolves.toEqual({ id: 'dep-2', status: 'build_in_progress', commit: undefined });
    await expect(latestDeploy(target, answering(200, '[]'), AbortSignal.timeout(1000))).resolves.toBeUndefined();
  });

  it.each([
    [401, '{"message":"unauthorized"}', true, 'Render API answered HTTP 401: unauthorized'],
    [404, 'not found', true, 'Render API answered HTTP 404: not found'],
    [429, '{"message":"slow down"}', false, 'Render API answered HTTP 429: slow down'],
    [502, '', false, 'Render API answered HTTP 502: (empty body)'],
    [200, '<html>', true, 'Render API answered something that is not JSON: <html>'],
    [200, '{"deploys":[]}', true, 'Render API answered {"deploys":[]}, not a list of deploys'],
    [200, '[{"deploy":{"id":7}}]', true, 'Render API answered a deploy without id and status: [{"deploy":{"id":7}}]'],
  ])('answers HTTP %i %j as a RenderApiError (permanent: %s)', async (status, body, permanent, message) => {
    const failure = latestDeploy(target, answering(status, body), AbortSignal.timeout(1000));
    await expect(failure).rejects.toBeInstanceOf(RenderApiError);
    await expect(failure).rejects.toMatchObject({ permanent, message });
  });
});

describe('settings from the environment', () => {
  it('uses Render only with both variables, and refuses a base that is not a URL', () => {
    expect(renderSetup({})).toEqual({ target: undefined, note: undefined });
    expect(renderSetup({ RENDER_SERVICE_ID: 'srv-1' }).note).toBe('Render API not used: RENDER_API_KEY is not set');
    expect(renderSetup({ RENDER_API_KEY: 'k', RENDER_SERVICE_ID: 'srv-1' }).target).toEqual({ apiKey: 'k', serviceId: 'srv-1', apiBase: 'https://api.render.com/v1' });
    expect(renderSetup({ RENDER_API_KEY: 'k', RENDER_SERVICE_ID: 'srv-1', RENDER_API_BASE: 'http://127.0.0.1:9/v1/' }).target?.apiBase).toBe('http://127.0.0.1:9/v1');
    expect(() => renderSetup({ RENDER_API_KEY: 'k', RENDER_SERVICE_ID: 's', RENDER_API_BASE: 'ftp://x' })).toThrow('RENDER_API_BASE must be an http(s) URL, got "ftp://x"');
  });

  it('treats blank Telegram variables as unset', () => {
    expect(telegramSetup({ TELEGRAM_BOT_TOKEN: ' ', TELEGRAM_CHAT_ID: '42' })).toEqual({ configured: false, missing: ['TELEGRAM_BOT_TOKEN'], chatId: '42', apiBase: 'https://api.telegram.org' });
    expect(telegramSetup({ TELEGRAM_BOT_TOKEN: 't', TELEGRAM_CHAT_ID: '@ops', TELEGRAM_API_BASE: 'http://127.0.0.1:1/' })).toEqual({
      configured: true,
      config: { token: 't', chatId: '@ops', apiBase: 'http://127.0.0.1:1' },
    });
  });
});

describe('arguments', () => {
  const parsed = (argv: string[]) => parseCommandLine(argv, { timeout: { type: 'string' } });

  it('checks numbers, quoting the bad value', () => {
    const bounds = { min: 1, unit: 'seconds' };
    expect(numberOption(parsed([]), 'timeout', 300, bounds)).toBe(300);
    expect(numberOption(parsed(['--timeout', '2.5']), 'timeout', 300, bounds)).toBe(2.5);
    expect(numberOption(parsed(['--timeout=90']), 'timeout', 300, bounds)).toBe(90);
    for (const bad of ['', ' ', '0', '-3', 'Infinity', '1e400', 'ten']) {
      expect(() => numberOption(parsed([`--timeout=${bad}`]), 'timeout', 300, bounds)).toThrow(`--timeout must be a number of seconds of at least 1, got ${JSON.stringify(bad)}`);
    }
    expect(() => numberOption(parsed(['--timeout', '1.5']), 'timeout', 300, { ...bounds, integer: true })).toThrow('must be an integer');
  });

  it('joins the text arguments and refuses none or too many characters', () => {
    expect(textArgument(['deploy', 'done'], 20)).toBe('deploy done');
    expect(() => textArgument(['  '], 20)).toThrow(UsageError);
    expect(() => textArgument(['x'.repeat(21)], 20)).toThrow('the text is 21 characters; at most 20 are accepted');
  });
});

describe('audio', () => {
  it('tells WAV from OGG by their first bytes', () => {
    expect(audioFormatOf(Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'))).toBe('wav');
    expect(audioFormatOf(Buffer.from('OggS\x00\x02', 'latin1'))).toBe('ogg');
    expect(audioFormatOf(Buffer.from('RIFF\x24\x00\x00\x00AVI ', 'latin1'))).toBeUndefined();
    expect(audioFormatOf(Buffer.alloc(0))).toBeUndefined();
  });

  it('sends OGG as a voice message and anything else as audio, with a caption Telegram accepts', () => {
    expect(uploadMethodOf({ format: 'ogg' })).toEqual({ method: 'sendVoice', field: 'voice' });
    expect(uploadMethodOf({ format: 'wav' })).toEqual({ method: 'sendAudio', field: 'audio' });
    expect(captionOf('short')).toBe('short');
    expect(captionOf('x'.repeat(2000))).toHaveLength(1024);
  });

  it('describes a failure with its cause, a timeout plainly', () => {
    expect(describeFailure(new Error('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') }))).toBe('fetch failed: connect ECONNREFUSED 127.0.0.1:9');
    expect(describeFailure(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))).toBe('no answer before the timeout');
    expect(describeFailure('plain')).toBe('plain');
  });
});
