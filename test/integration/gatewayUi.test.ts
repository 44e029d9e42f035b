import { Script } from 'node:vm';
import express from 'express';
import request from 'supertest';
import { uiRoutes } from '../../gateway/ui/uiRoutes';

function app() {
  const server = express();
  server.use(uiRoutes());
  return server;
}

describe('gateway UI routes', () => {
  it('serves the race page under a content security policy that allows only its own resources', async () => {
    const res = await request(app()).get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.text).toContain('<script src="/ui/race.js"></script>');
    expect(res.text).not.toMatch(/<script>[^<]/);
    for (const link of ['/ops/dashboard', '/health/detailed', '/metrics']) expect(res.text).toContain(`href="${link}"`);
    expect(res.text).not.toMatch(/https?:\/\//);
  });

  it('serves a script that parses as one self-contained program, and the styles', async () => {
    const script = await request(app()).get('/ui/race.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/^application\/javascript/);
    expect(() => new Script(script.text)).not.toThrow();
    expect(script.text).not.toMatch(/\brequire\(|\bexports\b/);
    const styles = await request(app()).get('/ui/race.css');
    expect(styles.headers['content-type']).toMatch(/^text\/css/);
  });
});
