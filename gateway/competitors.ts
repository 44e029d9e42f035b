import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { CompetitorConfig } from './config';

/** A competitor as the gateway calls it: its id, where it lives, and its own connection pool. */
export interface Competitor {
  readonly id: string;
  readonly url: URL;
  readonly secure: boolean;
  /** Path of the chat completions endpoint, after the URL's own path. */
  readonly completionsPath: string;
  readonly healthPath: string;
  readonly agent: HttpAgent;
}

export interface Competitors {
  readonly ids: readonly string[];
  get(id: string): Competitor | undefined;
  list(): readonly Competitor[];
  /** Closes every pooled connection. Idempotent. */
  close(): void;
}

export interface CompetitorPoolOptions {
  /** Connections per competitor; a stream holds one for its whole life. Default 4096. */
  readonly maxSockets?: number;
  /** Idle connections kept per competitor. Default 256. */
  readonly maxFreeSockets?: number;
}

/**
 * One keep-alive agent per competitor, so a slow competitor's connections never queue
 * another's requests, and two gateways in one process share nothing.
 */
export function createCompetitors(configs: readonly CompetitorConfig[], options: CompetitorPoolOptions = {}): Competitors {
  const { maxSockets = 4096, maxFreeSockets = 256 } = options;
  for (const [name, value] of Object.entries({ maxSockets, maxFreeSockets })) {
    if (!Number.isInteger(value) || value < 1) {
      throw new TypeError(`competitors: ${name} must be a whole number above 0, got ${JSON.stringify(value)}`);
    }
  }
  const byId = new Map<string, Competitor>();
  for (const { id, url: base } of configs) {
    if (byId.has(id)) throw new TypeError(`competitors: ${JSON.stringify(id)} is listed twice`);
    const url = new URL(base);
    const secure = url.protocol === 'https:';
    const basePath = url.pathname.replace(/\/+$/, '');
    const agentOptions = {
      keepAlive: true,
      maxSockets,
      maxFreeSockets,
      // With a timeout set, Node honours the competitor's `Keep-Alive: timeout=` hint and drops
      // idle connections before the competitor does, which avoids resets on reuse.
      timeout: 60_000,
      scheduling: 'lifo' as const,
      noDelay: true,
    };
    byId.set(id, {
      id,
      url,
      secure,
      completionsPath: `${basePath}/v1/chat/completions`,
      healthPath: `${basePath}/health/ready`,
      agent: secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions),
    });
  }
  const list = Object.freeze([...byId.values()]);
  let closed = false;
  return {
    ids: Object.freeze([...byId.keys()]),
    get: (id) => byId.get(id),
    list: () => list,
    close() {
      if (closed) return;
      closed = true;
      for (const competitor of list) competitor.agent.destroy();
    },
  };
}
