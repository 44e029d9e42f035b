import request from 'supertest';
import { completedLine, observedApp, waitForLines } from '../support/observedApp';

function app() {
  return observedApp((a) => {
    a.post('/v1/echo', (req, res) => {
      res.json(req.body);
    });
    a.get('/v1/crash', () => {
      throw new Error('database password=hunter2 refused');
    });
    a.get('/v1/async-crash', async () => {
      await Promise.resolve();
      throw Object.assign(new Error('upstream down'), { status: 503 });
    });
    a.get('/v1/teapot', () => {
      throw Object.assign(new Error('no coffee here'), { status: 418 });
    });
    a.get('/v1/hidden', () => {
      throw Object.assign(new Error('internal detail'), { status: 400, expose: false });
    });
    a.get('/v1/late', (_req, res) => {
      res.write('partial');
      throw new Error('after headers');
    });
  });
}

describe('error handler', () => {
  it('answers malformed JSON with 400, a code naming the problem and the request id', async () => {
    const { app: server, logs } = app();
    const res = await request(server)
      .post('/v1/echo')
      .set('content-type', 'application/json')
      .set('x-request-id', 'eh-1')
      .send('{"a": 1,,}');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'SIGHTLINE_ERR_MALFORMED_JSON', request_id: 'eh-1' });
    expect(res.body.error.message).toMatch(/^Request body is not valid JSON: /);
    const [rejected] = await waitForLines(logs, (l) => l.message === 'request rejected' && l.request_id === 'eh-1');
    expect(rejected).toMatchObject({ level: 'warn', code: 'SIGHTLINE_ERR_MALFORMED_JSON', status: 400 });
    // The body parser refused the request before the router chose a route.
    expect(await completedLine(logs, 'eh-1')).toMatchObject({ status: 400, route: 'unmatched' });
  });

  it('keeps serving after a malformed body', async () => {
    const { app: server } = app();
    await request(server).post('/v1/echo').set('content-type', 'application/json').send('{').expect(400);
    await request(server).post('/v1/echo').send({ fine: true }).expect(200, { fine: true });
  });

  it('answers a body over the limit with 413 and the limit', async () => {
    const res = await request(app().app).post('/v1/echo').send({ big: 'x'.repeat(20_000) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('SIGHTLINE_ERR_BODY_TOO_LARGE');
    expect(res.body.error.message).toMatch(/limit is 10240 bytes/);
  });

  it('hides a server error from the client and logs its stack, redacted, with the request context', async () => {
    const { app: server, logs } = app();
    const res = await request(server).get('/v1/crash').set('x-request-id', 'eh-2');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      error: { code: 'SIGHTLINE_ERR_INTERNAL', message: 'Internal server error', request_id: 'eh-2' },
    });
    expect(res.text).not.toMatch(/hunter2|at .*\.ts/);
    const [failed] = await waitForLines(logs, (l) => l.message === 'request failed');
    expect(failed).toMatchObject({ level: 'error', request_id: 'eh-2', code: 'SIGHTLINE_ERR_INTERNAL', status: 500 });
    const error = failed?.error as { type: string; message: string; stack: string };
    expect(error.type).toBe('Error');
    expect(error.stack).toContain('errorHandler.test.ts');
    expect(JSON.stringify(failed)).not.toContain('hunter2');
  });

  it('handles errors from async handlers and keeps 503 as 503', async () => {
    const res = await request(app().app).get('/v1/async-crash').set('x-request-id', 'eh-3');
    expect(res.status).toBe(503);
    expect(res.body.error).toEqual({ code: 'SIGHTLINE_ERR_UNAVAILABLE', message: 'Service unavailable', request_id: 'eh-3' });
  });

  it('passes an exposed client error message through and hides an unexposed one', async () => {
    const teapot = await request(app().app).get('/v1/teapot');
    expect(teapot.status).toBe(418);
    expect(teapot.body.error).toMatchObject({ code: 'SIGHTLINE_ERR_CLIENT', message: 'no coffee here' });
    const hidden = await request(app().app).get('/v1/hidden');
    expect(hidden.body.error).toMatchObject({ code: 'SIGHTLINE_ERR_BAD_REQUEST', message: 'Bad request' });
  });

  it('answers unmatched routes with a JSON 404', async () => {
    const res = await request(app().app).get('/nowhere').set('x-request-id', 'eh-4');
    expect(res.status).toBe(404);
    expect(res.body.error).toEqual({
      code: 'SIGHTLINE_ERR_NOT_FOUND',
      message: 'No route matches GET /nowhere',
      request_id: 'eh-4',
    });
  });

  it('ends the connection when headers were already sent, and logs the failure', async () => {
    const { app: server, logs } = app();
    await expect(request(server).get('/v1/late').set('x-request-id', 'eh-5')).rejects.toThrow();
    await waitForLines(logs, (l) => l.message === 'request failed' && l.request_id === 'eh-5');
    await request(server).get('/v1/teapot').expect(418);
  });
});
