import express from 'express';
import { createObservability } from '../middleware';

/**
 * A small service wired with sightline, started by `npm start` until the reference
 * gateway lands: try `curl -i localhost:8080/v1/items/42`, `curl -N localhost:8080/v1/stream`,
 * `curl localhost:8080/health/detailed` and, with `OBS_ADMIN_TOKEN` set,
 * `curl -H "Authorization: Bearer $OBS_ADMIN_TOKEN" localhost:8080/ops/events`; watch the JSON lines.
 */
const obs = createObservability({
  service: 'sightline-demo',
  version: '0.1.0',
  streams: { upstreams: ['ticker'] },
  // A demo's metrics may be read by anyone on the machine; a real service keeps the guard.
  metricsPublic: process.env.OBS_METRICS_PUBLIC === undefined ? true : undefined,
});
const app = express();
app.disable('x-powered-by');
app.use(obs.middleware());
app.use(obs.routes());
app.use(express.json({ limit: '1mb' }));

obs.health.register('event-loop', () => Promise.resolve(true), { critical: false });
obs.jobs.register('say-hello', () => ({ hello: 'operator' }));

app.get('/v1/items/:id', (req, res) => {
  obs.context.set('item_id', req.params.id);
  obs.logger.info('item looked up');
  obs.events.emit('request.completed', { duration_ms: 1 }, { pool: 'items', success: true });
  res.json({ id: req.params.id, name: `item ${req.params.id}` });
});

app.post('/v1/echo', (req, res) => {
  res.json({ received: req.body as unknown });
});

app.get('/v1/stream', obs.observeSse({ upstream: 'ticker' }), (_req, res) => {
  res.write(': ping\n\n');
  let sent = 0;
  const timer = setInterval(() => {
    sent += 1;
    res.write(`data: ${JSON.stringify({ n: sent })}\n\n`);
    if (sent === 5) {
      clearInterval(timer);
      res.end('data: [DONE]\n\n');
    }
  }, 200);
  res.on('close', () => clearInterval(timer));
});

app.get('/v1/fail', () => {
  throw new Error('demo failure');
});

app.use(obs.notFound());
app.use(obs.errorHandler());

const port = Number(process.env.PORT ?? 8080);
const server = app.listen(port, () => {
  obs.logger.info('demo listening', { port });
});
obs.handleSignals(server);
