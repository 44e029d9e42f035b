import { Router } from 'express';
import type { CircuitBreakers, CircuitState } from './circuitBreakers';
import type { Competitors } from './competitors';

export interface ModelsRouteOptions {
  readonly competitors: Competitors;
  readonly circuits: CircuitBreakers;
  /** `created` of every model, epoch seconds. Default: when the route was made. */
  readonly createdAt?: number;
}

export interface ModelEntry {
  readonly id: string;
  readonly object: 'model';
  readonly created: number;
  readonly owned_by: 'sightline-gateway';
  readonly circuit_state: CircuitState;
}

/** `GET /v1/models`: OpenAI's model list, one model per competitor, with its circuit's state. */
export function modelsRoute(options: ModelsRouteOptions): Router {
  const { competitors, circuits, createdAt = Math.floor(Date.now() / 1000) } = options;
  if (!Number.isInteger(createdAt) || createdAt < 0) {
    throw new TypeError(`modelsRoute: createdAt must be epoch seconds, got ${JSON.stringify(createdAt)}`);
  }
  const router = Router();
  router.get('/v1/models', function listModels(_req, res) {
    const states = circuits.states();
    const data: ModelEntry[] = competitors.ids.map((id) => ({
      id,
      object: 'model',
      created: createdAt,
      owned_by: 'sightline-gateway',
      circuit_state: states[id] ?? 'closed',
    }));
    res.json({ object: 'list', data });
  });
  return router;
}
