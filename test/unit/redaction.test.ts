import { inspect } from 'node:util';
import { createRedactor } from '../../src/redaction';

const redactor = createRedactor();

/**
 * Deterministic filler for fake credentials. Every API key below is assembled at run time
 * from a prefix and filler, so no credential-shaped literal sits in the source.
 */
function filler(length: number, alphabet = 'aB3dE5gH7jK9mN1pQ2rS4tU6vW8xY0zC'): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[(i * 7 + length) % alphabet.length];
  return out;
}
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

const JWT_HEADER = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9';
const JWT_PAYLOAD = 'eyJzdWIiOiJ1c2VyLTQyIiwicm9sZSI6ImFkbWluIn0';
const JWT_SIGNATURE = 'k3Yq0fP7uR2sT9vW1xZ4bC6dE8gH0jL2mN5pQ7rS9tU';
const JWT = [JWT_HEADER, JWT_PAYLOAD, JWT_SIGNATURE].join('.');

const PEM_BODY_1 = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC' + filler(32);
const PEM_BODY_2 = filler(64, 'QRSTUVWXYZabcdef0123456789+/ghij');
const pem = (kind: string): string =>
  [`-----BEGIN ${kind}PRIVATE KEY-----`, PEM_BODY_1, PEM_BODY_2, `-----END ${kind}PRIVATE KEY-----`].join('\n');

const BASIC_CREDENTIALS = Buffer.from('admin:basic-pw-666').toString('base64');

interface SecretCase {
  readonly name: string;
  readonly input: unknown;
  /** Must never appear in the output. */
  readonly secret: string;
}

const SECRETS: readonly SecretCase[] = [
  // ---- sensitive keys: the whole value goes, whatever it is
  { name: 'password field', input: { user: 'alice', password: 'pw-hunter2-xyz' }, secret: 'pw-hunter2-xyz' },
  { name: 'passwd field', input: { passwd: 'pw-passwd-val' }, secret: 'pw-passwd-val' },
  { name: 'passphrase in a longer key', input: { ssh_passphrase: 'correct horse battery' }, secret: 'correct horse battery' },
  { name: 'client_secret', input: { client_secret: 'cs-live-abc123' }, secret: 'cs-live-abc123' },
  { name: 'apiKey (camel case)', input: { apiKey: 'ak-camel-987' }, secret: 'ak-camel-987' },
  { name: 'x-api-key header', input: { 'x-api-key': 'ak-header-654' }, secret: 'ak-header-654' },
  { name: 'API_KEY (upper case)', input: { API_KEY: 'ak-upper-321' }, secret: 'ak-upper-321' },
  { name: 'Authorization with a custom scheme', input: { Authorization: 'Custom opaque-cred-111' }, secret: 'opaque-cred-111' },
  { name: 'proxy-authorization', input: { 'proxy-authorization': 'Digest dig-cred-222' }, secret: 'dig-cred-222' },
  { name: 'cookie header', input: { cookie: 'sid=cookie-val-333; theme=dark' }, secret: 'cookie-val-333' },
  { name: 'set-cookie array', input: { 'set-cookie': ['sid=setcookie-444; Path=/', 'x=y'] }, secret: 'setcookie-444' },
  { name: 'cookies object', input: { cookies: { sid: 'cookies-obj-555' } }, secret: 'cookies-obj-555' },
  { name: 'credentials object', input: { credentials: { user: 'bob', pass: 'cred-obj-666' } }, secret: 'cred-obj-666' },
  { name: 'private_key', input: { private_key: 'pk-raw-777' }, secret: 'pk-raw-777' },
  { name: 'sessionId', input: { sessionId: 'sess-camel-888' }, secret: 'sess-camel-888' },
  { name: 'PHPSESSID', input: { PHPSESSID: 'phpsess-999' }, secret: 'phpsess-999' },
  { name: 'jwt key with a non-JWT value', input: { jwt: 'not-even-a-jwt-000' }, secret: 'not-even-a-jwt-000' },
  { name: 'pwd', input: { pwd: 'pwd-exact-111' }, secret: 'pwd-exact-111' },
  { name: 'auth object', input: { auth: { user: 'u', pass: 'auth-obj-222' } }, secret: 'auth-obj-222' },
  { name: 'session', input: { session: 'session-exact-333' }, secret: 'session-exact-333' },
  { name: 'token', input: { token: 'tok-plain-444' }, secret: 'tok-plain-444' },
  { name: 'access_token', input: { access_token: 'tok-access-555' }, secret: 'tok-access-555' },
  { name: 'refresh_token', input: { refresh_token: 'tok-refresh-666' }, secret: 'tok-refresh-666' },
  { name: 'id_token', input: { id_token: 'tok-id-777' }, secret: 'tok-id-777' },
  { name: 'x-auth-token', input: { 'x-auth-token': 'tok-xauth-888' }, secret: 'tok-xauth-888' },
  { name: 'csrfToken', input: { csrfToken: 'tok-csrf-999' }, secret: 'tok-csrf-999' },
  { name: 'key with a space', input: { 'Secret Key': 'spaced-key-000' }, secret: 'spaced-key-000' },
  { name: 'dotted key', input: { 'db.password': 'dotted-pw-111' }, secret: 'dotted-pw-111' },
  { name: 'numeric password', input: { password: 987654321 }, secret: '987654321' },
  {
    name: 'object under a sensitive key',
    input: { apiKey: { primary: 'nested-in-sensitive-222', rotated: ['old-333'] } },
    secret: 'nested-in-sensitive-222',
  },
  {
    name: 'nested at depth 5',
    input: { a: { b: { c: { d: { e: { password: 'deep5-pw-444' } } } } } },
    secret: 'deep5-pw-444',
  },
  {
    name: 'array of headers objects (authorization)',
    input: {
      requests: [
        { url: '/a', headers: { authorization: 'Bearer hdr-arr-555', accept: '*/*' } },
        { url: '/b', headers: { cookie: 'hdr-arr-cookie-666' } },
      ],
    },
    secret: 'hdr-arr-555',
  },
  {
    name: 'array of headers objects (cookie)',
    input: [{ headers: { 'content-type': 'json' } }, { headers: { Cookie: 'hdr-arr-cookie-666' } }],
    secret: 'hdr-arr-cookie-666',
  },
  { name: 'Map with a password key', input: new Map([['password', 'map-pw-777']]), secret: 'map-pw-777' },

  // ---- key=value in free text
  { name: 'password= in a message', input: 'login failed password=hunter2-msg for user bob', secret: 'hunter2-msg' },
  { name: 'api_key: in a message', input: 'retrying with api_key: msg-apikey-888 after 401', secret: 'msg-apikey-888' },
  { name: 'JSON body in a message', input: 'body={"username":"bob","password":"json pw 999"}', secret: 'json pw 999' },
  { name: 'util.inspect output', input: "{ user: 'bob', secret: 'inspect-secret-000' }", secret: 'inspect-secret-000' },
  { name: 'escaped JSON', input: 'payload "{\\"token\\":\\"escaped-tok-111\\"}"', secret: 'escaped-tok-111' },
  { name: 'Cookie header line', input: 'Cookie: sid=hdr-cookie-222; other=hdr-cookie-333', secret: 'hdr-cookie-333' },
  { name: 'Error message with password=', input: new Error('db password=err-pw-123 rejected'), secret: 'err-pw-123' },

  // ---- authorization schemes and JWTs
  { name: 'Bearer token alone', input: 'Bearer opaque.token-value_444', secret: 'opaque.token-value_444' },
  { name: 'lower-case bearer in a message', input: 'upstream rejected bearer abcDEF555ghi with 401', secret: 'abcDEF555ghi' },
  { name: 'Basic credentials', input: { upstream: `Basic ${BASIC_CREDENTIALS}` }, secret: BASIC_CREDENTIALS },
  { name: 'JWT in an Authorization header', input: { headers: { Authorization: `Bearer ${JWT}` } }, secret: JWT_PAYLOAD },
  { name: 'Bearer JWT under a harmless key', input: { note: `sent Bearer ${JWT}` }, secret: JWT_PAYLOAD },
  { name: 'JWT alone', input: { id: JWT }, secret: JWT_PAYLOAD },
  { name: 'JWT in a message', input: `decoded ${JWT} ok`, secret: JWT_SIGNATURE },

  // ---- emails
  { name: 'email alone', input: { contact: 'alice.smith@example.com' }, secret: 'alice.smith@example.com' },
  { name: 'email in a message', input: 'reset link sent to bob+tag@mail.example.co.uk today', secret: 'bob+tag' },
  { name: 'URL-encoded email in a query', input: '/v1/users?email=carol%40example.org&page=2', secret: 'carol%40' },
  { name: 'email in a Set', input: new Set(['dave@example.net']), secret: 'dave@example.net' },
  { name: 'email as an object key', input: { 'erin@example.com': 'admin' }, secret: 'erin@example.com' },

  // ---- URLs
  { name: 'user:pass in a URL', input: 'connecting to postgres://admin:pg-pass-777@db.internal:5432/app', secret: 'pg-pass-777' },
  { name: 'token@host in a URL', input: 'cloning https://ghtok888xyz@github.com/org/repo.git', secret: 'ghtok888xyz' },
  { name: 'password only in a URL', input: { redis: 'redis://:redis-pass-999@cache:6379/0' }, secret: 'redis-pass-999' },
  { name: '?token= query parameter', input: '/callback?token=qp-tok-000&page=2', secret: 'qp-tok-000' },
  { name: '&access_token= query parameter', input: '/cb?state=xyz&access_token=qp-access-111', secret: 'qp-access-111' },
  { name: ';jsessionid= path parameter', input: '/app;jsessionid=qp-jsess-222?x=1', secret: 'qp-jsess-222' },
  {
    name: 'client_secret in a form body',
    input: 'grant_type=client_credentials&client_secret=form-secret-333&scope=read',
    secret: 'form-secret-333',
  },
  { name: '?api_key= in an access log URL', input: { url: '/v1/data?api_key=qp-apikey-444' }, secret: 'qp-apikey-444' },
  { name: 'URL credentials in an Error', input: new Error('connect postgres://u:err-pass-444@db failed'), secret: 'err-pass-444' },

  // ---- API key formats
  { name: 'OpenAI sk-', input: `using ${'sk-' + filler(48)}`, secret: filler(48) },
  { name: 'OpenAI sk-proj-', input: { key: 'sk-' + 'proj-' + filler(40) + '_' + filler(20) }, secret: filler(40) },
  { name: 'Stripe sk_live_', input: `stripe key ${'sk_' + 'live_' + filler(24)}`, secret: filler(24) },
  { name: 'Stripe sk_test_', input: `stripe key ${'sk_' + 'test_' + filler(26)}`, secret: filler(26) },
  { name: 'Stripe rk_live_', input: `stripe key ${'rk_' + 'live_' + filler(25)}`, secret: filler(25) },
  { name: 'GitHub ghp_', input: { value: 'ghp_' + filler(36) }, secret: filler(36) },
  { name: 'GitHub gho_', input: `oauth ${'gho_' + filler(37)}`, secret: filler(37) },
  { name: 'GitHub ghu_', input: `user-to-server ${'ghu_' + filler(38)}`, secret: filler(38) },
  { name: 'GitHub ghs_', input: `server-to-server ${'ghs_' + filler(39)}`, secret: filler(39) },
  { name: 'GitHub ghr_', input: `refresh ${'ghr_' + filler(35)}`, secret: filler(35) },
  { name: 'GitHub github_pat_', input: `pat ${'github_' + 'pat_' + filler(22) + '_' + filler(59)}`, secret: filler(59) },
  { name: 'GitLab glpat-', input: `gitlab ${'glpat-' + filler(20)}`, secret: filler(20) },
  { name: 'Slack xoxb-', input: `slack ${'xoxb-' + '1234567890-1234567890123-' + filler(24)}`, secret: filler(24) },
  { name: 'Slack xoxp-', input: { slack: 'xoxp-' + '1234567890-1234567890-1234567890123-' + filler(32) }, secret: filler(32) },
  { name: 'AWS AKIA', input: `aws id ${'AKIA' + filler(16, UPPER_DIGITS)} in use`, secret: filler(16, UPPER_DIGITS) },
  { name: 'AWS ASIA', input: { id: 'ASIA' + filler(16, UPPER_DIGITS.slice(3)) }, secret: filler(16, UPPER_DIGITS.slice(3)) },
  { name: 'Google AIza', input: `maps ${'AIza' + filler(35)}`, secret: filler(35) },
  { name: 'npm npm_', input: `//registry.npmjs.org/:_authToken=${'npm_' + filler(36)}`, secret: filler(36) },

  // ---- payment cards (test numbers)
  { name: 'Visa', input: { card: '4111111111111111' }, secret: '4111111111111111' },
  { name: 'Visa with spaces', input: 'paid with 4111 1111 1111 1111 today', secret: '4111 1111 1111 1111' },
  { name: 'Visa with dashes', input: 'paid with 4111-1111-1111-1111 today', secret: '4111-1111-1111-1111' },
  { name: 'Visa 13 digits', input: { pan: '4222222222222' }, secret: '4222222222222' },
  { name: 'Visa in a message', input: 'charged card 4012888888881881 for $10', secret: '4012888888881881' },
  { name: 'Mastercard', input: { pan: '5555555555554444' }, secret: '5555555555554444' },
  { name: 'Mastercard with spaces', input: 'mc 5105 1051 0510 5100', secret: '5105 1051 0510 5100' },
  { name: 'Amex', input: 'amex 378282246310005', secret: '378282246310005' },
  { name: 'Amex grouped 4-6-5', input: 'amex 3782 822463 10005', secret: '3782 822463 10005' },
  { name: 'Discover', input: { pan: '6011111111111117' }, secret: '6011111111111117' },
  { name: 'Discover with dashes', input: 'discover 6011-0009-9013-9424', secret: '6011-0009-9013-9424' },

  // ---- PEM
  { name: 'PEM private key', input: pem(''), secret: PEM_BODY_2 },
  { name: 'PEM RSA private key under a harmless key', input: { key: pem('RSA ') }, secret: PEM_BODY_1 },
  {
    name: 'PEM EC private key JSON-escaped in a message',
    input: `loaded "${pem('EC ').replace(/\n/g, '\\n')}" from disk`,
    secret: PEM_BODY_2,
  },

  // ---- other containers
  {
    name: 'Error cause',
    input: new Error('outer failure', { cause: new Error('inner token=cause-tok-555') }),
    secret: 'cause-tok-555',
  },
  { name: 'toJSON result', input: { toJSON: () => ({ password: 'tojson-pw-666' }) }, secret: 'tojson-pw-666' },
  { name: 'email as a Map key', input: new Map([['frank@example.org', 1]]), secret: 'frank@example.org' },
];

/** The text the secret hides in, to check each case really holds its secret. */
function rawText(input: unknown): string {
  return `${inspect(input, { depth: null, maxStringLength: null, breakLength: Infinity })} ${JSON.stringify(input) ?? ''}`;
}

function asFields(input: unknown): Record<string, unknown> {
  const plain = typeof input === 'object' && input !== null && Object.getPrototypeOf(input) === Object.prototype;
  return plain ? (input as Record<string, unknown>) : { value: input };
}

describe('secret shapes never leak', () => {
  it('has at least 60 shapes', () => {
    expect(SECRETS.length).toBeGreaterThanOrEqual(60);
    expect(new Set(SECRETS.map((c) => c.name)).size).toBe(SECRETS.length);
  });

  it.each(SECRETS)('$name', ({ input, secret }) => {
    expect(rawText(input)).toContain(secret);
    expect(JSON.stringify(redactor.value(input))).not.toContain(secret);
    expect(JSON.stringify(redactor.fields(asFields(input)))).not.toContain(secret);
    expect(JSON.stringify(redactor.value(input))).toContain('[REDACTED]');
    if (typeof input === 'string') expect(redactor.string(input)).not.toContain(secret);
  });
});

describe('harmless values survive unchanged', () => {
  const SURVIVORS: readonly { readonly name: string; readonly input: unknown }[] = [
    { name: 'LLM usage counts', input: { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 } },
    { name: 'max_tokens', input: { max_tokens: 256, max_completion_tokens: 1024, maxTokens: 8 } },
    { name: 'token_count, token_type, tokens', input: { token_count: 5, token_type: 'bearer', tokens: [1, 2, 3] } },
    { name: 'nested usage', input: { usage: { input_tokens: 10, output_tokens: 20, cache_read_input_tokens: 0 } } },
    { name: 'tokenizer name', input: { tokenizer: 'cl100k_base' } },
    { name: 'author, authority, session counts', input: { author: 'jane', authority: 'ca', session_count: 3, sessions: 2 } },
    { name: 'UUID', input: '123e4567-e89b-12d3-a456-426614174000' },
    { name: 'W3C traceparent', input: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    { name: 'W3C trace id', input: { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' } },
    { name: 'ISO timestamp', input: '2024-05-01T12:34:56.789Z' },
    { name: 'route template', input: '/v1/items/:id' },
    { name: 'URL with a harmless query', input: '/v1/items/42?page=2' },
    { name: 'query string', input: 'page=2&limit=50&sort=created_at' },
    { name: '16 digits failing Luhn', input: '4111111111111112' },
    { name: '13-digit epoch millis', input: 'ts=1714566896789' },
    { name: '19-digit snowflake id', input: { id: '1234567890123456789' } },
    { name: 'long order number', input: 'order 2024050100012345678 shipped' },
    { name: 'decimal fraction', input: '0.4111111111111111' },
    { name: 'the word token in a sentence', input: 'the token expired, please sign in again' },
    { name: 'basic in prose', input: 'basic usage of the API is free' },
    { name: 'scheme word alone', input: 'Bearer' },
    { name: 'user agent', input: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36' },
    { name: 'curl user agent', input: 'curl/8.5.0' },
    { name: 'listening URL', input: 'listening on http://0.0.0.0:3000' },
    { name: 'docs URL with fragment', input: 'see https://example.com/docs?page=2#auth' },
    { name: 'access log message', input: 'GET /v1/items/42 200 12ms' },
    { name: 'sha256', input: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
    { name: 'status pairs', input: 'status: ok, retries: 3, key: value' },
    { name: 'phone number', input: '+1 555-123-4567' },
    { name: 'IPv6', input: '2001:db8::1' },
    { name: 'semver', input: '1.2.3-beta.1' },
    { name: 'kebab-case sk- word', input: { note: 'sk-learn is a library' } },
    { name: 'numbers', input: [0, -1, 3.14, 1e21, Number.MAX_SAFE_INTEGER] },
    { name: 'booleans and null', input: { a: true, b: false, c: null } },
    { name: 'short strings', input: ['', 'a', 'GET', 'ok'] },
    {
      name: 'access log fields',
      input: {
        method: 'GET',
        url: '/v1/items/42?page=2',
        route: '/v1/items/:id',
        status: 200,
        latency_ms: 1.234,
        bytes_in: 0,
        bytes_out: 512,
        user_agent: 'curl/8.5.0',
      },
    },
  ];

  it.each(SURVIVORS)('$name', ({ input }) => {
    expect(redactor.value(input)).toEqual(input);
    expect(redactor.fields({ v: input })).toEqual({ v: input });
    if (typeof input === 'string') expect(redactor.string(input)).toBe(input);
  });
});

describe('string()', () => {
  it.each([
    ['login failed password=hunter2', 'login failed password=[REDACTED]'],
    ['/cb?token=abc&page=2', '/cb?token=[REDACTED]&page=2'],
    ['/a;jsessionid=XYZ&x=1', '/a;jsessionid=[REDACTED]&x=1'],
    ['a=1&client_secret=s3&b=2', 'a=1&client_secret=[REDACTED]&b=2'],
    ['Authorization: Bearer abc.def', 'Authorization: Bearer [REDACTED]'],
    ['Authorization: Basic dXNlcjpwYXNz', 'Authorization: Basic [REDACTED]'],
    ['Bearer abc', 'Bearer [REDACTED]'],
    ['bearer abc', 'bearer [REDACTED]'],
    ['Basic dXNlcjpwYXNz', 'Basic [REDACTED]'],
    ['postgres://admin:pw@db:5432/app', 'postgres://[REDACTED]@db:5432/app'],
    ['https://tok@github.com/x', 'https://[REDACTED]@github.com/x'],
    ['{"password":"x y","a":1}', '{"password":"[REDACTED]","a":1}'],
    ['password\\: x1', 'password\\: [REDACTED]'],
    ["{ secret: 'a b', id: 3 }", "{ secret: '[REDACTED]', id: 3 }"],
    ['Cookie: a=1; b=2\nnext line', 'Cookie: [REDACTED]\nnext line'],
    ['card 4111 1111 1111 1111 ok', 'card [REDACTED] ok'],
    ['mail alice@example.com.', 'mail [REDACTED].'],
    [JWT, '[REDACTED]'],
    [`before\n${pem('')}\nafter`, 'before\n[REDACTED]\nafter'],
    [`truncated ${pem('').slice(0, 80)}`, 'truncated [REDACTED]'],
    [`key=${'sk-' + filler(48)} rest`, 'key=[REDACTED] rest'],
  ])('%j -> %j', (input, expected) => {
    expect(redactor.string(input)).toBe(expected);
  });

  it('is idempotent', () => {
    for (const text of ['login password=x', `Bearer ${JWT}`, 'a@b.co and 4111111111111111', pem('')]) {
      const once = redactor.string(text);
      expect(redactor.string(once)).toBe(once);
    }
  });

  it('stays fast on long adversarial input', () => {
    const inputs = [
      'a'.repeat(100_000) + '@',
      '1'.repeat(100_000),
      'a=b'.repeat(30_000),
      ('x'.repeat(60) + '@').repeat(1_500),
      '4111 '.repeat(20_000),
      '-----BEGIN PRIVATE KEY-----' + 'A'.repeat(100_000),
      'eyJ' + 'a'.repeat(100_000),
      'password='.repeat(10_000),
      'eyJ'.repeat(30_000),
      'sk-'.repeat(30_000),
      'x@'.repeat(50_000),
      'a@' + 'b.'.repeat(50_000),
      'http://' + 'x'.repeat(100_000) + ' @',
      '"password":"' + 'a'.repeat(100_000),
      'Basic '.repeat(20_000),
      'a'.repeat(100_000) + '=',
      'password%3D'.repeat(10_000),
      '%253D'.repeat(20_000),
      'a'.repeat(100_000) + '%3D',
      ('a'.repeat(40) + ' ').repeat(2_000) + 'AKIA' + 'A'.repeat(16),
      'AKIA' + 'A'.repeat(16) + ' ' + 'a'.repeat(100_000),
      ' AB12'.repeat(20_000),
      'DE89' + '1'.repeat(100_000),
      'ya29.'.repeat(20_000),
      'SG.'.repeat(30_000),
      'https://hooks.slack.com/services/' + 'a/'.repeat(50_000),
    ];
    const start = Date.now();
    for (const input of inputs) redactor.string(input);
    expect(Date.now() - start).toBeLessThan(2_000);
  });
});

describe('isSensitiveKey', () => {
  it.each([
    'password', 'PASSWORD', 'user_password', 'passwd', 'passphrase', 'client_secret', 'secretKey', 'apiKey', 'api-key',
    'X-API-KEY', 'authorization', 'Proxy-Authorization', 'cookie', 'Set-Cookie', 'cookies', 'credentials',
    'private_key', 'privateKey', 'sessionId', 'session_id', 'PHPSESSID', 'jwt', 'jwt_payload', 'pwd', 'auth', 'AUTH',
    'session', 'token', 'access_token', 'refresh_token', 'id_token', 'x-auth-token', 'csrfToken', 'oauth.token',
    'Secret Key', 'tokens', 'refresh_tokens', 'bearer', 'accessKey', 'secretAccessKey', 'signature', 'X-Hub-Signature',
    'otp', 'totp', 'otp_code', 'AccountKey', 'SharedAccessKey',
  ])('%s is sensitive', (key) => {
    expect(redactor.isSensitiveKey(key)).toBe(true);
  });

  it.each([
    'max_tokens', 'prompt_tokens', 'completion_tokens', 'total_tokens', 'token_count', 'token_type',
    'tokenizer', 'author', 'authority', 'oauth_provider', 'sessions', 'session_count', 'user', 'url', 'method', 'key',
    'status', 'trace_id', 'pass', 'sig', 'accessKeyId', 'signature_algorithm', 'otp_length', 'bearer_format',
    'SharedAccessKeyName', 'input_tokens', 'cached_tokens', '',
  ])('%j is not sensitive', (key) => {
    expect(redactor.isSensitiveKey(key)).toBe(false);
  });

  it('keeps its answers after its cache forgets keys', () => {
    const r = createRedactor();
    for (let i = 0; i < 5_000; i++) r.isSensitiveKey(`field_${i}`);
    expect(r.isSensitiveKey('password')).toBe(true);
    expect(r.isSensitiveKey('field_1')).toBe(false);
    expect(r.fields({ field_2: 1, refresh_token: 'x' })).toEqual({ field_2: 1, refresh_token: '[REDACTED]' });
  });
});

describe('truncation', () => {
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const objectOf = (n: number) => Object.fromEntries(range(n).map((i) => [`k${i}`, i]));

  it('keeps the first maxEntries array items and says how many went', () => {
    const out = redactor.value(range(15)) as unknown[];
    expect(out).toEqual([...range(10), '[truncated: 5 more of 15]']);
    expect(redactor.value(range(10))).toEqual(range(10));
  });

  it('keeps the first maxEntries object keys and counts the rest', () => {
    expect(redactor.value(objectOf(12))).toEqual({ ...objectOf(10), _truncated: 2 });
    expect(redactor.value(objectOf(10))).toEqual(objectOf(10));
  });

  it('truncates Maps (as objects) and Sets (as arrays)', () => {
    const map = new Map(range(12).map((i) => [`k${i}`, i]));
    expect(redactor.value(map)).toEqual({ ...objectOf(10), _truncated: 2 });
    expect(redactor.value(new Set(range(12)))).toEqual([...range(10), '[truncated: 2 more of 12]']);
    expect(redactor.value(new Map([[1, 'a']]))).toEqual({ 1: 'a' });
  });

  it('never truncates the top level of fields(), but does below it', () => {
    const top = redactor.fields(objectOf(25));
    expect(Object.keys(top)).toHaveLength(25);
    const nested = redactor.fields({ list: range(30), obj: objectOf(11) });
    expect(nested.list).toEqual([...range(10), '[truncated: 20 more of 30]']);
    expect(nested.obj).toEqual({ ...objectOf(10), _truncated: 1 });
  });

  it('follows maxEntries, censoring sensitive keys among those kept', () => {
    const r = createRedactor({ maxEntries: 3 });
    expect(r.value({ password: 'x', a: 1, b: 2, c: 3, d: 4 })).toEqual({ password: '[REDACTED]', a: 1, b: 2, _truncated: 2 });
    expect(r.value(['a', 'b', 'c', 'd'])).toEqual(['a', 'b', 'c', '[truncated: 1 more of 4]']);
    expect(createRedactor({ maxEntries: 0 }).value([1])).toEqual(['[truncated: 1 more of 1]']);
  });
});

describe('circular references and depth', () => {
  it('replaces a reference back to an ancestor', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    a.list = [a, { up: a }];
    expect(redactor.value(a)).toEqual({ name: 'a', self: '[Circular]', list: ['[Circular]', { up: '[Circular]' }] });
    const top: Record<string, unknown> = { n: 1 };
    top.me = top;
    expect(redactor.fields(top)).toEqual({ n: 1, me: '[Circular]' });
    const map = new Map<string, unknown>();
    map.set('again', map);
    expect(redactor.value(map)).toEqual({ again: '[Circular]' });
  });

  it('serialises a shared, non-circular object each time', () => {
    const shared = { v: 1 };
    expect(redactor.value({ a: shared, b: [shared] })).toEqual({ a: { v: 1 }, b: [{ v: 1 }] });
  });

  it('stops below maxDepth', () => {
    const nest = (n: number): Record<string, unknown> => (n === 0 ? { leaf: true } : { child: nest(n - 1) });
    let node = redactor.value(nest(12)) as Record<string, unknown>;
    for (let depth = 0; depth < 8; depth++) node = node.child as Record<string, unknown>;
    expect(node.child).toBe('[Object]');

    const shallow = createRedactor({ maxDepth: 1 });
    expect(shallow.value({ a: { b: { c: 1 } }, l: [[1]] })).toEqual({ a: { b: '[Object]' }, l: ['[Array]'] });
    expect(createRedactor({ maxDepth: 0 }).fields({ a: { b: 1 }, l: [1], s: 'x' })).toEqual({ a: '[Object]', l: '[Array]', s: 'x' });
  });
});

describe('other types', () => {
  it('serialises an Error as type, message, stack, code and cause', () => {
    const cause = new TypeError('bad input from a@b.io');
    const error = Object.assign(new Error('db password=hunter3 rejected', { cause }), { code: 'ECONNREFUSED' });
    const out = redactor.value(error) as Record<string, unknown>;
    expect(out).toMatchObject({ type: 'Error', message: 'db password=[REDACTED] rejected', code: 'ECONNREFUSED' });
    expect(out.stack).toEqual(expect.stringContaining('redaction.test.ts'));
    expect(out.stack).toEqual(expect.stringContaining('password=[REDACTED]'));
    expect(out.cause).toMatchObject({ type: 'TypeError', message: 'bad input from [REDACTED]' });
    expect(JSON.stringify(out)).not.toMatch(/hunter3|a@b\.io/);

    const plain = redactor.value(new RangeError('out of range')) as Record<string, unknown>;
    expect(Object.keys(plain).sort()).toEqual(['message', 'stack', 'type']);
    class QuotaError extends Error {
      override name = 'QuotaError';
      readonly code = 429;
    }
    expect(redactor.fields({ err: new QuotaError('slow down') }).err).toMatchObject({ type: 'QuotaError', message: 'slow down', code: 429 });
    expect(redactor.value(new Error('x', { cause: 'token=abc' }))).toMatchObject({ cause: 'token=[REDACTED]' });
  });

  it('converts dates, buffers, bigints, Maps, Sets and toJSON objects', () => {
    expect(
      redactor.fields({
        at: new Date('2024-05-01T12:00:00.000Z'),
        bad: new Date(Number.NaN),
        buf: Buffer.from('secret bytes'),
        bytes: new Uint8Array(5),
        ab: new ArrayBuffer(7),
        big: 12345678901234567890n,
        map: new Map<unknown, unknown>([['a', 1], [2, 'b']]),
        set: new Set(['x', 'y']),
        url: new URL('https://user:pw@example.com/p?token=abc&page=2'),
        custom: { toJSON: () => 'custom json' },
        boxed: Object('boxed'),
        re: /sk-[a-z]+/,
      }),
    ).toEqual({
      at: '2024-05-01T12:00:00.000Z',
      bad: 'Invalid Date',
      buf: '[Buffer 12 bytes]',
      bytes: '[Buffer 5 bytes]',
      ab: '[Buffer 7 bytes]',
      big: '12345678901234567890',
      map: { a: 1, 2: 'b' },
      set: ['x', 'y'],
      url: 'https://[REDACTED]@example.com/p?token=[REDACTED]&page=2',
      custom: 'custom json',
      boxed: 'boxed',
      re: '/sk-[a-z]+/',
    });
  });

  it('drops functions, symbols and undefined from objects (null in arrays, like JSON)', () => {
    const out = redactor.value({ a: 1, f: () => 1, s: Symbol('s'), u: undefined }) as object;
    expect(Object.keys(out)).toEqual(['a']);
    expect(redactor.value([1, () => 1, Symbol('s'), undefined])).toEqual([1, null, null, null]);
    const fields = redactor.fields({ a: undefined, f: () => 1, b: 1, [Symbol('hidden')]: 'raw secret' });
    expect(Object.keys(fields)).toEqual(['b']);
    expect(Object.getOwnPropertySymbols(fields)).toHaveLength(0);
    expect(redactor.value(undefined)).toBeUndefined();
    expect(redactor.value(() => 1)).toBeUndefined();
    expect(redactor.value(Number.NaN)).toBe('NaN');
    expect(redactor.value(-Infinity)).toBe('-Infinity');
  });

  it('censors a sensitive key whatever its value', () => {
    expect(
      redactor.value({ password: null, token: undefined, secret: [1, 2], cookie: { a: 1 }, auth: Buffer.from('x') }),
    ).toEqual({ password: '[REDACTED]', token: '[REDACTED]', secret: '[REDACTED]', cookie: '[REDACTED]', auth: '[REDACTED]' });
  });

  it('never throws on hostile objects', () => {
    const hostile = {
      ok: 1,
      get boom(): never {
        throw new Error('getter');
      },
    };
    expect(redactor.fields(hostile)).toEqual({ ok: 1, boom: '[Unserializable]' });
    expect(redactor.value({ nested: hostile })).toEqual({ nested: '[Unserializable]' });
    expect(redactor.value({ j: { toJSON: () => { throw new Error('nope'); } } })).toEqual({ j: '[Unserializable]' });
  });

  it('writes a __proto__ key as an own property without touching prototypes', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    for (const out of [redactor.fields(input), redactor.value(input) as Record<string, unknown>]) {
      expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
      expect(Object.prototype.hasOwnProperty.call(out, '__proto__')).toBe(true);
      expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":true},"a":1}');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('inputs are never mutated', () => {
  function deepFreeze<T>(value: T): T {
    if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
      Object.freeze(value);
      for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    }
    return value;
  }

  it('leaves nested objects, arrays and strings as they were', () => {
    const input = {
      password: 'p',
      headers: { authorization: 'Bearer x', list: Array.from({ length: 20 }, (_, i) => ({ i, email: `u${i}@x.io` })) },
      message: 'token=abc',
      big: Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`k${i}`, 'a@b.co'])),
    };
    const snapshot = structuredClone(input);
    deepFreeze(input);
    redactor.value(input);
    redactor.fields(input);
    expect(input).toEqual(snapshot);
  });

  it('returns a new object from fields() even when nothing changes', () => {
    const input = { a: 1, b: 'x' };
    const out = redactor.fields(input);
    expect(out).not.toBe(input);
    expect(out).toEqual(input);
    out.a = 2;
    expect(input.a).toBe(1);
  });

  it('writes each field as a JSON member exactly as fields() redacts it, and nothing for what fields() drops', () => {
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const input: Record<string, unknown> = {
      password: 'hunter22',
      url: 'https://user:pass@example.com/x',
      note: 'Authorization: Bearer abcdefghijklmnopqrstuvwxyz',
      count: 3,
      ok: true,
      ratio: Number.NaN,
      nested: { apiKey: 'x', list: Array.from({ length: 12 }, (_, i) => i) },
      when: new Date(0),
      circular,
      gone: undefined,
      fn: () => 1,
    };
    const members = Object.entries(input)
      .map(([key, value]) => redactor.jsonMember(key, value))
      .filter((member) => member !== undefined);
    expect(JSON.parse(`{${members.join(',')}}`)).toEqual(JSON.parse(JSON.stringify(redactor.fields(input))));
    expect(redactor.jsonMember('gone', undefined)).toBeUndefined();
    // A secret in a key name is redacted whatever the value's type.
    expect(redactor.fields({ 'alice@example.com': 3 })).toEqual({ '[REDACTED]': 3 });
    expect(redactor.jsonMember('alice@example.com', 3)).toBe('"[REDACTED]":3');
    expect(redactor.jsonMember('secret', undefined)).toBe('"secret":"[REDACTED]"');
  });
});

describe('options', () => {
  it('uses a custom censor everywhere, literally', () => {
    const r = createRedactor({ censor: '***' });
    expect(r.fields({ password: 'x', msg: 'password=abc' })).toEqual({ password: '***', msg: 'password=***' });
    expect(r.string('Bearer abc and a@b.co')).toBe('Bearer *** and ***');
    const dollar = createRedactor({ censor: '$&$1' });
    expect(dollar.string('Bearer abcdef, mail a@b.co, pem ' + pem(''))).toBe('Bearer $&$1, mail $&$1, pem $&$1');
    expect(dollar.string('postgres://u:p@h/db')).toBe('postgres://$&$1@h/db');
  });

  it('adds extraKeys by normalised name or by RegExp', () => {
    const r = createRedactor({ extraKeys: ['ssn', 'Tax-ID', /^x-internal-/i, /^tenant/g] });
    expect(r.isSensitiveKey('SSN')).toBe(true);
    expect(r.isSensitiveKey('s.s.n')).toBe(true);
    expect(r.isSensitiveKey('tax_id')).toBe(true);
    expect(r.isSensitiveKey('user_ssn')).toBe(false);
    expect(r.isSensitiveKey('X-Internal-Route')).toBe(true);
    // A global flag must not make the answer alternate.
    expect([r.isSensitiveKey('tenant1'), r.isSensitiveKey('tenant2'), r.isSensitiveKey('tenant3')]).toEqual([true, true, true]);
    expect(r.isSensitiveKey('password')).toBe(true);
    expect(r.value({ ssn: '123-45-6789', nested: { taxId: 'T1' } })).toEqual({ ssn: '[REDACTED]', nested: { taxId: '[REDACTED]' } });
    expect(r.string('lookup ssn=123-45-6789 done')).toBe('lookup ssn=[REDACTED] done');
    // Each redactor has its own keys.
    expect(redactor.isSensitiveKey('ssn')).toBe(false);
  });

  it('rejects invalid limits and censors', () => {
    expect(() => createRedactor({ maxEntries: -1 })).toThrow(RangeError);
    expect(() => createRedactor({ maxDepth: 1.5 })).toThrow(RangeError);
    expect(() => createRedactor({ maxEntries: Number.NaN })).toThrow(RangeError);
    expect(() => createRedactor({ censor: 5 as unknown as string })).toThrow(TypeError);
    expect(() => createRedactor({ extraKeys: [5 as unknown as string] })).toThrow(TypeError);
    expect(createRedactor({ maxEntries: Infinity }).value(Array.from({ length: 50 }, () => 1))).toHaveLength(50);
  });
});
