import express, { type Express, type RequestHandler } from 'express';
import pinoHttp from 'pino-http';
import { createObservability, type ObservabilityOptions } from '../src/index';

export const VARIANT_NAMES = [
  'bare',
  'sightline-rate1',
  'sightline-rate0.1',
  'sightline-disabled',
  'pino-http',
  'sightline-cls',
] as const;

export type VariantName = (typeof VARIANT_NAMES)[number];

export const BASELINE: VariantName = 'bare';

export interface BenchApp {
  readonly app: Express;
  /** Lines a variant lost or contained; `undefined` when it has no such counters. */
  readonly logStats: () => Readonly<Record<string, number>> | undefined;
  readonly shutdown: () => Promise<void>;
}

export const ROUTE_PATH = '/v1/items/42';

export function isVariantName(value: string): value is VariantName {
  return (VARIANT_NAMES as readonly string[]).includes(value);
}

export function createBenchApp(variant: VariantName): BenchApp {
  switch (variant) {
    case 'bare':
      return withoutObservability([]);
    case 'pino-http':
      return withoutObservability([pinoHttp()]);
    case 'sightline-rate1':
      return withSightline({ logSamplingRateInfo: 1 });
    case 'sightline-rate0.1':
      return withSightline({ logSamplingRateInfo: 0.1 });
    case 'sightline-disabled':
      return withSightline({ logSamplingRateInfo: 1, enabled: false });
    case 'sightline-cls':
      return withSightline({ logSamplingRateInfo: 1, clsNamespace: 'bench' });
  }
}

function withoutObservability(middlewares: readonly RequestHandler[]): BenchApp {
  return {
    app: itemsApp(middlewares),
    logStats: () => undefined,
    shutdown: () => Promise.resolve(),
  };
}

function withSightline(extra: ObservabilityOptions): BenchApp {
  const obs = createObservability({ service: 'bench', version: '1.0.0', environment: {}, ...extra });
  return {
    app: itemsApp([obs.middleware()]),
    logStats: () => ({ ...obs.logStats() }),
    shutdown: () => obs.shutdown(),
  };
}

function itemsApp(middlewares: readonly RequestHandler[]): Express {
  const app = express();
  for (const middleware of middlewares) app.use(middleware);
  app.get('/v1/items/:id', (req, res) => {
    res.json({ id: req.params.id, name: `item ${req.params.id}` });
  });
  return app;
}
