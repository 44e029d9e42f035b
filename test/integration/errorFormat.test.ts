import express from 'express';
import request from 'supertest';
import { createObservability, openAiErrorFormat, RequestError } from '../../middleware';
import { captureLogs } from '../../src/testing';

function openAiApp() {
  const logs = captureLogs();
  const obs = createObservability({ service: 'format-test', environment: {}, logger: { transports: [logs] } });
  const app = express();
  app.use(obs.middleware());
  app.use(express.json({ limit: '1kb' }));
  app.post('/v1/chat/completions', (req) => {
    if (!Array.isArray(req.body?.messages)) {
      throw new RequestError(400, 'messages must be a non-empty array', { param: 'messages', reason: 'invalid_value' });
    }
    throw new RequestError(503, 'competitor baseline is open-circuited', { reason: 'circuit_open', retryAfterS: 4.2 });
  });
  app.get('/v1/hidden', () => {
    throw new RequestError(502, 'upstream said: secret internals', { expose: false });
  });
  app.use(obs.notFound({ format: openAiErrorFormat }));
  app.use(obs.errorHandler({ format: openAiErrorFormat }));
  return { app, logs };
}

describe('error formats', () => {
  it('answers a RequestError in the OpenAI shape with the field at fault and the request id', async () => {
    const { app, logs } = openAiApp();
    const res = await request(app).post('/v1/chat/completions').set('x-request-id', 'fmt-1').send({ model: 'x' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: {
        message: 'messages must be a non-empty array',
        type: 'invalid_request_error',
        param: 'messages',
        code: 'invalid_value',
        request_id: 'fmt-1',
      },
    });
    expect(logs.find('request rejected', 'fmt-1')[0]).toMatchObject({ param: 'messages', status: 400 });
  });

  it('shows a 5xx RequestError message and sets Retry-After rounded up', async () => {
    const { app } = openAiApp();
    const res = await request(app).post('/v1/chat/completions').send({ messages: [] });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body.error).toMatchObject({ type: 'overloaded_error', code: 'circuit_open', param: null });
    expect(res.body.error.message).toBe('competitor baseline is open-circuited');
  });

  it('hides the message of a RequestError raised with expose false', async () => {
    const { app } = openAiApp();
    const res = await request(app).get('/v1/hidden');
    expect(res.status).toBe(502);
    expect(res.body.error).toMatchObject({ message: 'An upstream service failed', code: 'SIGHTLINE_ERR_UPSTREAM', type: 'api_error' });
  });

  it('answers malformed JSON and unknown routes in the same shape', async () => {
    const { app } = openAiApp();
    const malformed = await request(app).post('/v1/chat/completions').set('content-type', 'application/json').send('{"messages":');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatchObject({ type: 'invalid_request_error', code: 'SIGHTLINE_ERR_MALFORMED_JSON', param: null });
    const large = await request(app).post('/v1/chat/completions').send({ messages: ['x'.repeat(2000)] });
    expect(large.status).toBe(413);
    expect(large.body.error.type).toBe('invalid_request_error');
    const missing = await request(app).get('/v1/nothing');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ type: 'not_found_error', code: 'SIGHTLINE_ERR_NOT_FOUND' });
  });

  it('refuses a RequestError with a status that is not an error status', () => {
    expect(() => new RequestError(200, 'fine')).toThrow('status must be an HTTP error status (400-599), got 200');
    expect(() => new RequestError(503, 'x', { retryAfterS: -1 })).toThrow('retryAfterS must be a non-negative number, got -1');
  });
});
