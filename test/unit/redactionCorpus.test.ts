import { inspect } from 'node:util';
import { createRedactor } from '../../src/redaction';

/**
 * Every secret shape the redactor knows, each with a negative twin: a value that looks
 * like it but holds no secret, and must come out unchanged. A shape that catches its
 * secret by censoring too much fails on its twin.
 */

const redactor = createRedactor();

/**
 * Deterministic filler for fake credentials: every credential below is assembled at run
 * time, so no credential-shaped literal sits in the source.
 */
function filler(length: number, alphabet = 'aB3dE5gH7jK9mN1pQ2rS4tU6vW8xY0zC'): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[(i * 7 + length) % alphabet.length];
  return out;
}
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BASE64 = 'wJalrXUtnFEMIK7MDENGbPxRfiCY0123456789/+';

const AWS_KEY_ID = 'AK' + 'IA' + filler(16, UPPER_DIGITS);
const AWS_SECRET = filler(40, BASE64);
const SLACK_WEBHOOK_PATH = `T${filler(8, UPPER_DIGITS)}/B${filler(10, UPPER_DIGITS)}/${filler(24)}`;
const AZURE_ACCOUNT_KEY = filler(86, BASE64) + '==';
const SAS_SIGNATURE = filler(43, BASE64) + '%3D';
const JWT = ['eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9', 'eyJzdWIiOiJ1c2VyLTQyIn0', filler(43)].join('.');
const PEM_BODY = filler(64, 'QRSTUVWXYZabcdef0123456789+/ghij');
const pemOf = (kind: string): string => [`-----BEGIN ${kind}-----`, PEM_BODY, `-----END ${kind}-----`].join('\n');

interface Shape {
  readonly shape: string;
  /** Holds `secret`, which must not reach the output. */
  readonly leak: unknown;
  readonly secret: string;
  /** Looks like `leak` but holds no secret: comes out unchanged. */
  readonly twin: unknown;
}

const SHAPES: readonly Shape[] = [
  // ---- sensitive key names
  { shape: 'password key', leak: { password: 'pw-hunter2-xyz' }, secret: 'pw-hunter2-xyz', twin: { user: 'alice', pass_rate: 0.93 } },
  { shape: 'token key', leak: { access_token: 'tok-access-555' }, secret: 'tok-access-555', twin: { token_type: 'bearer', expires_in: 3600 } },
  {
    shape: 'tokens key (plural)',
    leak: { tokens: { access: 'tok-plural-access-1', refresh: 'tok-plural-refresh-2' } },
    secret: 'tok-plural-access-1',
    twin: { usage: { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42, max_tokens: 256, tokens: 42, input_tokens: 9 } },
  },
  { shape: 'tokens as a list of strings', leak: { tokens: ['tok-list-a-1', 'tok-list-b-2'] }, secret: 'tok-list-a-1', twin: { tokens: [101, 2023, 102] } },
  { shape: 'tokens: in text', leak: 'issued tokens=tok-text-777 to the client', secret: 'tok-text-777', twin: 'stream done, tokens: 42, cached_tokens: 3' },
  { shape: 'bearer key', leak: { bearer: 'opaque-bearer-123' }, secret: 'opaque-bearer-123', twin: { bearer_format: 'JWT', scheme: 'bearer' } },
  { shape: 'accessKey key', leak: { accessKey: 'ak-storage-456' }, secret: 'ak-storage-456', twin: { access_key_rotation_days: 90 } },
  {
    shape: 'signature key',
    leak: { 'stripe-signature': 't=1714566896,v1=' + filler(64, '0123456789abcdef') },
    secret: filler(64, '0123456789abcdef'),
    twin: { signature_algorithm: 'HMAC-SHA256', signed_at: '2024-05-01' },
  },
  { shape: 'otp key (numeric)', leak: { otp: 482913 }, secret: '482913', twin: { otp_length: 6, otp_channel: 'sms' } },
  { shape: 'x-api-key header', leak: { 'x-api-key': 'ak-header-654' }, secret: 'ak-header-654', twin: { 'x-api-version': '2024-05-01' } },
  { shape: 'cookie header', leak: { cookie: 'sid=cookie-val-333' }, secret: 'cookie-val-333', twin: 'cookie banner dismissed by the user' },
  {
    shape: 'AWS keys in an object',
    leak: { accessKeyId: AWS_KEY_ID, secretAccessKey: AWS_SECRET },
    secret: AWS_SECRET,
    twin: { region: 'us-east-1', access_key_age_days: 12 },
  },
  { shape: 'Azure accountKey key', leak: { accountName: 'acme', accountKey: AZURE_ACCOUNT_KEY }, secret: AZURE_ACCOUNT_KEY, twin: { accountName: 'acme', accountId: 7 } },

  // ---- Node's rawHeaders
  {
    shape: 'rawHeaders Cookie',
    leak: { rawHeaders: ['Host', 'example.com', 'Cookie', 'sid=raw-cookie-111; theme=dark'] },
    secret: 'raw-cookie-111',
    twin: { rawHeaders: ['Host', 'example.com', 'Accept', '*/*', 'User-Agent', 'curl/8.5.0'] },
  },
  {
    shape: 'rawHeaders Authorization',
    leak: ['Host', 'example.com', 'authorization', 'Custom raw-auth-222'],
    secret: 'raw-auth-222',
    twin: ['Host', 'example.com', 'X-Request-Id', '123e4567-e89b-12d3-a456-426614174000'],
  },
  {
    shape: 'rawHeaders X-Api-Key',
    leak: ['Host', 'example.com', 'X-Api-Key', 'raw-apikey-333', 'Accept', '*/*'],
    secret: 'raw-apikey-333',
    twin: ['Host', 'example.com', 'X-Api-Version', '2', 'Accept', '*/*'],
  },
  {
    shape: 'rawHeaders Set-Cookie of a response',
    leak: { res: { rawHeaders: ['Content-Type', 'text/html', 'Set-Cookie', 'sid=raw-setcookie-444; Path=/'] } },
    secret: 'raw-setcookie-444',
    twin: { res: { rawHeaders: ['Content-Type', 'text/html', 'Content-Length', '512'] } },
  },

  // ---- key=value in free text, query strings and form bodies
  { shape: 'password= in a message', leak: 'login failed password=hunter2-msg for bob', secret: 'hunter2-msg', twin: 'password reset email sent to the user' },
  { shape: 'api_key: in a message', leak: 'retrying with api_key: msg-apikey-888', secret: 'msg-apikey-888', twin: 'status: ok, retries: 3, key: value' },
  { shape: '?token= query parameter', leak: '/callback?token=qp-tok-000&page=2', secret: 'qp-tok-000', twin: '/v1/tokens?page=2&sort=created_at' },
  { shape: '?key= query parameter', leak: '/maps/api/geocode?key=qp-key-123&address=x', secret: 'qp-key-123', twin: '/search?keyword=monkey&page=2' },
  { shape: 'key in an object stays', leak: '/v1/data?a=1&key=qp-key-456', secret: 'qp-key-456', twin: { key: 'user:42', note: 'key: value' } },
  { shape: '&pass= form parameter', leak: 'user=bob&pass=qp-pass-789&remember=1', secret: 'qp-pass-789', twin: '/exams?passed=true&pass_mark=50' },
  { shape: '&sig= SAS parameter', leak: `/c/blob.txt?sv=2022-11-02&sp=r&sig=${SAS_SIGNATURE}`, secret: SAS_SIGNATURE, twin: '/v1/sigma?sigil=x&signup=1' },
  {
    shape: 'Azure AccountKey= connection string',
    leak: `DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=${AZURE_ACCOUNT_KEY};EndpointSuffix=core.windows.net`,
    secret: AZURE_ACCOUNT_KEY,
    twin: 'DefaultEndpointsProtocol=https;AccountName=acme;EndpointSuffix=core.windows.net',
  },
  {
    shape: 'Azure SharedAccessKey= connection string',
    leak: `Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=${AZURE_ACCOUNT_KEY}`,
    secret: AZURE_ACCOUNT_KEY,
    twin: 'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey',
  },
  {
    shape: 'SharedAccessSignature= in a connection string',
    leak: `BlobEndpoint=https://acme.blob.core.windows.net/;SharedAccessSignature=sv=2022&sig=${SAS_SIGNATURE}`,
    secret: SAS_SIGNATURE,
    twin: 'BlobEndpoint=https://acme.blob.core.windows.net/;QueueEndpoint=https://acme.queue.core.windows.net/',
  },
  {
    shape: 'URL-encoded pair inside a form value',
    leak: 'state=abc&data=user%3Dbob%26password%3Dhunter2-enc1',
    secret: 'hunter2-enc1',
    twin: 'q=password%20reset%20help&next=%2Fhome%3Fpage%3D2',
  },
  {
    shape: 'pair URL-encoded twice',
    leak: 'next=%252Flogin%253Fuser%253Dbob%2526password%253Dhunter2-enc2%2526x%253D1',
    secret: 'hunter2-enc2',
    twin: 'next=%252Fhome%253Fpage%253D2%2526sort%253Dname',
  },
  { shape: 'URL-encoded ?key= parameter', leak: 'return=%2Fmaps%3Fkey%3Denc-key-333%26z%3D9', secret: 'enc-key-333', twin: 'return=%2Fmaps%3Fkeyword%3Dcoffee%26z%3D9' },

  // ---- authorization schemes, JWTs, emails, URLs
  { shape: 'Bearer credential', leak: 'Authorization: Bearer opaque.token-value_444', secret: 'opaque.token-value_444', twin: 'token_type: Bearer' },
  { shape: 'Basic credential', leak: `Basic ${Buffer.from('admin:basic-pw-666').toString('base64')}`, secret: 'YWRtaW46', twin: 'basic usage of the API is free' },
  { shape: 'JWT', leak: `decoded ${JWT} ok`, secret: JWT.split('.')[2] as string, twin: 'header eyJhbGciOiJIUzI1NiJ9 only' },
  { shape: 'email address', leak: 'reset link sent to bob+tag@mail.example.co.uk', secret: 'bob+tag', twin: 'npm install @scope/pkg@1.2.3' },
  { shape: 'URL credentials', leak: 'postgres://admin:pg-pass-777@db.internal:5432/app', secret: 'pg-pass-777', twin: 'https://example.com/users/@alice' },
  {
    shape: 'Slack webhook URL',
    leak: { webhook: `https://hooks.slack.com/services/${SLACK_WEBHOOK_PATH}` },
    secret: SLACK_WEBHOOK_PATH.split('/')[2] as string,
    twin: 'see https://api.slack.com/messaging/webhooks and https://hooks.slack.com/',
  },
  {
    shape: 'Slack workflow trigger URL',
    leak: `posting to https://hooks.slack.com/triggers/${SLACK_WEBHOOK_PATH}`,
    secret: SLACK_WEBHOOK_PATH.split('/')[2] as string,
    twin: 'posting to https://slack.com/triggers/docs',
  },

  // ---- API key and token formats
  { shape: 'OpenAI sk-', leak: `using ${'sk-' + filler(48)}`, secret: filler(48), twin: { note: 'sk-learn is a library' } },
  { shape: 'Stripe sk_live_', leak: `stripe ${'sk_' + 'live_' + filler(24)}`, secret: filler(24), twin: `publishable ${'pk_' + 'live_' + filler(24)}` },
  { shape: 'Stripe webhook secret whsec_', leak: `signing with ${'whsec_' + filler(32)}`, secret: filler(32), twin: 'the whsec_ prefix marks a signing secret' },
  { shape: 'GitHub ghp_', leak: { value: 'ghp_' + filler(36) }, secret: filler(36), twin: { value: 'ghp_short' } },
  { shape: 'GitLab glpat-', leak: `gitlab ${'glpat-' + filler(20)}`, secret: filler(20), twin: 'see the glpat-docs page' },
  { shape: 'Slack xoxb-', leak: `slack ${'xoxb-' + '1234567890-' + filler(24)}`, secret: filler(24), twin: 'slack xoxb-short' },
  { shape: 'Slack app token xapp-', leak: `socket mode ${'xapp-' + '1-A0' + filler(9, UPPER_DIGITS) + '-1234567890-' + filler(64, '0123456789abcdef')}`, secret: filler(64, '0123456789abcdef'), twin: 'open xapp-settings-page-v2' },
  { shape: 'AWS access key id', leak: `aws id ${AWS_KEY_ID} in use`, secret: filler(16, UPPER_DIGITS), twin: 'AKIA-style ids start with four letters' },
  { shape: 'AWS secret after its key id', leak: `creds ${AWS_KEY_ID} ${AWS_SECRET}`, secret: AWS_SECRET, twin: `commit ${filler(40, '0123456789abcdef')} pushed` },
  { shape: 'AWS secret before its key id', leak: `${AWS_SECRET}, ${AWS_KEY_ID}`, secret: AWS_SECRET, twin: `${AWS_SECRET.slice(0, 39)} and ${AWS_SECRET.slice(1)} alone` },
  { shape: 'AWS secret after its key id in JSON', leak: `["${AWS_KEY_ID}","${AWS_SECRET}"]`, secret: AWS_SECRET, twin: `["region","${AWS_SECRET}"]` },
  { shape: 'Google AIza', leak: `maps ${'AIza' + filler(35)}`, secret: filler(35), twin: 'AIza keys are 39 characters' },
  { shape: 'Google OAuth ya29.', leak: { upstream: 'ya29.' + filler(120, BASE64.slice(0, 36) + '-_') }, secret: filler(120, BASE64.slice(0, 36) + '-_'), twin: 'scanner ya29.5 released' },
  { shape: 'SendGrid SG.', leak: `mail ${'SG.' + filler(22) + '.' + filler(43)}`, secret: filler(43), twin: 'call SG.send(msg) with SG.abc.def' },
  { shape: 'npm npm_', leak: `//registry.npmjs.org/:_authToken=${'npm_' + filler(36)}`, secret: filler(36), twin: 'npm_config_cache=/tmp/npm-cache' },
  { shape: 'PEM private key', leak: { key: pemOf('RSA PRIVATE KEY') }, secret: PEM_BODY, twin: pemOf('CERTIFICATE').replace(PEM_BODY, 'MIIBszCCAVmgAwIBAgIU') },

  // ---- payment cards and bank accounts
  { shape: 'card number in text', leak: 'charged card 4012888888881881 for $10', secret: '4012888888881881', twin: 'order 4111111111111112 shipped' },
  { shape: 'grouped card number', leak: 'paid with 4111 1111 1111 1111 today', secret: '4111 1111 1111 1111', twin: 'call 4111 1111 1111 1112 today' },
  { shape: '13-digit card number', leak: { pan: '4222222222222' }, secret: '4222222222222', twin: 'ts=2000000000008' },
  { shape: 'card number as a number', leak: { card: 4111111111111111 }, secret: '4111111111111111', twin: { order_id: 4111111111111112 } },
  { shape: 'card number as a nested number', leak: { payment: { pan: 5555555555554444 } }, secret: '5555555555554444', twin: { at: 1714566896789, us: 1714566896789123 } },
  { shape: '13-digit card as a number', leak: [4222222222222], secret: '4222222222222', twin: [2000000000008] },
  { shape: 'card number as a bigint', leak: { pan: 6011111111111117n }, secret: '6011111111111117', twin: { id: 6011111111111118n } },
  { shape: 'IBAN, compact', leak: { iban: 'DE89370400440532013000' }, secret: '370400440532013000', twin: { ref: 'DE89370400440532013001' } },
  { shape: 'IBAN, grouped', leak: 'refund to GB82 WEST 1234 5698 7654 32 today', secret: '5698 7654 32', twin: 'refund to GB82 WEST 1234 5698 7654 33 today' },
  { shape: 'IBAN with letters in its account number', leak: 'iban FR1420041010050500013M02606.', secret: '0500013M02606', twin: 'ref FR1420041010050500013M02607.' },
  { shape: 'IBAN followed by a group of four', leak: 'NO93 8601 1117 947 and BE68 5390 0754 7034 1234', secret: '5390 0754 7034', twin: 'XX68 5390 0754 7034 1234' },
];

/** The text the secret hides in, to check each case really holds its secret. */
function rawText(input: unknown): string {
  const json = JSON.stringify(input, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? '';
  return `${inspect(input, { depth: null, maxStringLength: null, breakLength: Infinity })} ${json}`;
}

function asFields(input: unknown): Record<string, unknown> {
  const plain = typeof input === 'object' && input !== null && Object.getPrototypeOf(input) === Object.prototype;
  return plain ? (input as Record<string, unknown>) : { value: input };
}

/** What a JSON-safe redacted twin should equal: bigints become their digits, as the redactor writes them. */
function asRedactedTwin(input: unknown): unknown {
  return JSON.parse(JSON.stringify(input, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

describe('redaction corpus', () => {
  it('names each shape once', () => {
    expect(new Set(SHAPES.map((s) => s.shape)).size).toBe(SHAPES.length);
  });

  describe.each(SHAPES)('$shape', ({ leak, secret, twin }) => {
    it('censors the secret', () => {
      expect(rawText(leak)).toContain(secret);
      expect(JSON.stringify(redactor.value(leak))).not.toContain(secret);
      expect(JSON.stringify(redactor.value(leak))).toContain('[REDACTED]');
      expect(JSON.stringify(redactor.fields(asFields(leak)))).not.toContain(secret);
      const member = redactor.jsonMember('value', leak);
      expect(member).not.toContain(secret);
      if (typeof leak === 'string') expect(redactor.string(leak)).not.toContain(secret);
    });

    it('leaves its twin unchanged', () => {
      expect(redactor.value(twin)).toEqual(asRedactedTwin(twin));
      expect(redactor.fields({ v: twin })).toEqual({ v: asRedactedTwin(twin) });
      if (typeof twin === 'string') expect(redactor.string(twin)).toBe(twin);
    });
  });
});
