import request from 'supertest';
import { completedLine, observedApp } from '../support/observedApp';

const SECRETS = {
  queryKey: ['sk', 'proj', 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4'].join('-'),
  bearer: 'opaque-bearer-value-93b1f0',
  cookie: 'session=d41d8cd98f00b204e9800998ecf8427e',
  password: 'correct horse battery staple',
  email: 'jane.doe@example.org',
};

describe('redaction on a real request', () => {
  it('leaves no secret from the URL, headers, body or message in any line', async () => {
    const { app, logs } = observedApp((a, obs) => {
      a.post('/v1/login', (req, res) => {
        obs.logger.info(`login attempt for ${SECRETS.email}`, { headers: req.headers, body: req.body as unknown });
        res.json({ ok: true });
      });
    });
    await request(app)
      .post(`/v1/login?api_key=${SECRETS.queryKey}&page=2`)
      .set('authorization', `Bearer ${SECRETS.bearer}`)
      .set('cookie', SECRETS.cookie)
      .set('x-request-id', 'red-1')
      .send({ user: 'jane', password: SECRETS.password })
      .expect(200);
    await completedLine(logs, 'red-1');
    const text = JSON.stringify(logs.lines);
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    const [started] = logs.find('request started', 'red-1');
    expect(started?.url).toBe('/v1/login?api_key=[REDACTED]&page=2');
    const [attempt] = logs.find('login attempt for [REDACTED]', 'red-1');
    expect(attempt).toMatchObject({ body: { user: 'jane', password: '[REDACTED]' } });
    expect((attempt?.headers as Record<string, unknown>).authorization).toBe('[REDACTED]');
  });
});

describe('redaction of Node rawHeaders on a real request', () => {
  it('censors the value after each sensitive header name, and a ?key= query parameter', async () => {
    const apiKey = 'raw-api-key-5f1c9e';
    const mapsKey = 'maps-key-77aa31';
    const { app, logs } = observedApp((a, obs) => {
      a.get('/v1/geocode', (req, res) => {
        obs.logger.info('upstream call', { raw: req.rawHeaders, upstream: `/maps/api/geocode?key=${mapsKey}&address=x` });
        res.json({ ok: true });
      });
    });
    await request(app)
      .get('/v1/geocode')
      .set('Cookie', SECRETS.cookie)
      .set('X-Api-Key', apiKey)
      .set('x-request-id', 'red-2')
      .expect(200);
    await completedLine(logs, 'red-2');
    const text = JSON.stringify(logs.lines);
    for (const secret of [SECRETS.cookie, apiKey, mapsKey]) expect(text).not.toContain(secret);
    const [line] = logs.find('upstream call', 'red-2');
    const raw = line?.raw as string[];
    expect(raw[raw.indexOf('Cookie') + 1]).toBe('[REDACTED]');
    expect(raw[raw.indexOf('X-Api-Key') + 1]).toBe('[REDACTED]');
    expect(raw[raw.indexOf('x-request-id') + 1]).toBe('red-2');
    expect(line?.upstream).toBe('/maps/api/geocode?key=[REDACTED]&address=x');
  });
});
