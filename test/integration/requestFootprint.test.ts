import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type RequestHandler } from 'express';
import request from 'supertest';
import { createObservability, requestIdOf } from '../../middleware';
import { requestContextOf } from '../../middleware/requestState';
import { captureLogs } from '../../src/testing';

interface Footprint {
  readonly req: string[];
  readonly res: string[];
}

function ownKeys(object: object): string[] {
  return Reflect.ownKeys(object)
    .map(String)
    .sort();
}

/** The own properties of a request and its response as the route sees them, and after the response is written. */
async function footprintOf(middlewares: readonly RequestHandler[]): Promise<{ inRoute: Footprint; written: Footprint }> {
  const app = express();
  for (const middleware of middlewares) app.use(middleware);
  let inRoute: Footprint | undefined;
  let written: Footprint | undefined;
  app.get('/v1/items/:id', (req, res) => {
    inRoute = { req: ownKeys(req), res: ownKeys(res) };
    res.json({ id: req.params.id });
    written = { req: ownKeys(req), res: ownKeys(res) };
  });
  await request(app).get('/v1/items/42').expect(200);
  if (inRoute === undefined || written === undefined) throw new Error('the route did not run');
  return { inRoute, written };
}

function observability() {
  return createObservability({ service: 'footprint', environment: {}, logger: { transports: [captureLogs()] } });
}

describe('request footprint', () => {
  // Express changes the prototype of every request and response; V8 then makes each property
  // added to them slow (about 5 µs each), so sightline keeps its per-request state elsewhere.
  it('adds no own property to the request or the response', async () => {
    const bare = await footprintOf([]);
    const observed = await footprintOf([observability().middleware()]);
    const added = (mine: string[], theirs: string[]) => mine.filter((key) => !theirs.includes(key));
    expect({
      inRoute: { req: added(observed.inRoute.req, bare.inRoute.req), res: added(observed.inRoute.res, bare.inRoute.res) },
      written: { req: added(observed.written.req, bare.written.req), res: added(observed.written.res, bare.written.res) },
    }).toEqual({ inRoute: { req: [], res: [] }, written: { req: [], res: [] } });
    // `req.route` is read through sightline's accessor on the app's prototype rather than stored on the request.
    expect(added(bare.inRoute.req, observed.inRoute.req)).toEqual(['route']);
  });

  it('still answers req.id and req.route', async () => {
    const obs = observability();
    const app = express();
    app.use(obs.middleware());
    app.get('/v1/items/:id', (req: IncomingMessage & { id?: unknown; route?: { path?: unknown } }, res: ServerResponse) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id: req.id, sightline: requestIdOf(req), route: req.route?.path }));
    });
    const res = await request(app).get('/v1/items/42').set('x-request-id', 'footprint-1').expect(200);
    expect(res.body).toEqual({ id: 'footprint-1', sightline: 'footprint-1', route: '/v1/items/:id' });
  });

  it('lets another middleware assign req.id after sightline, and overwrites one assigned before it', async () => {
    const obs = observability();
    const app = express();
    const assign =
      (id: string): RequestHandler =>
      (req, _res, next) => {
        (req as IncomingMessage & { id?: unknown }).id = id;
        next();
      };
    app.use('/before', assign('theirs'));
    app.use(obs.middleware());
    app.use('/after', assign('theirs'));
    app.get(['/before', '/after'], (req, res) => {
      res.json({ id: (req as IncomingMessage & { id?: unknown }).id, sightline: requestIdOf(req) });
    });
    const before = await request(app).get('/before').set('x-request-id', 'ours-1').expect(200);
    expect(before.body).toEqual({ id: 'ours-1', sightline: 'ours-1' });
    const after = await request(app).get('/after').set('x-request-id', 'ours-2').expect(200);
    expect(after.body).toEqual({ id: 'theirs', sightline: 'ours-2' });
  });

  it('takes the id another library gave the request first, a number too', async () => {
    const app = express();
    app.use((req, _res, next) => {
      (req as IncomingMessage & { id?: unknown }).id = 7;
      next();
    });
    app.get('/', (req, res) => {
      res.json({ context: requestContextOf(req).requestId, id: (req as IncomingMessage & { id?: unknown }).id });
    });
    const res = await request(app).get('/').expect(200);
    expect(res.body).toEqual({ context: '7', id: '7' });
  });

  it('keeps two apps in one process apart, each with its own prototypes', async () => {
    const first = express();
    const second = express();
    first.use(observability().middleware());
    second.use(observability().middleware());
    for (const app of [first, second]) {
      app.get('/v1/:name', (req, res) => {
        res.json({ id: (req as IncomingMessage & { id?: unknown }).id, route: (req.route as { path: string }).path });
      });
    }
    const one = await request(first).get('/v1/a').set('x-request-id', 'one').expect(200);
    const two = await request(second).get('/v1/b').set('x-request-id', 'two').expect(200);
    expect([one.body, two.body]).toEqual([
      { id: 'one', route: '/v1/:name' },
      { id: 'two', route: '/v1/:name' },
    ]);
  });
});
