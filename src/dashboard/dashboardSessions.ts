import { randomBytes } from 'node:crypto';

export interface DashboardSessionsOptions {
  /** A session lasts this long after login. Default 8 hours. */
  readonly ttlMs?: number;
  /** Sessions kept; the oldest is forgotten first. Default 100. */
  readonly maxSessions?: number;
  /** Epoch ms. Default `Date.now`. */
  readonly now?: () => number;
}

export interface DashboardSessions {
  /** A new session id: what the cookie carries instead of the admin token. */
  open(): string;
  isValid(id: string | undefined): boolean;
  close(id: string | undefined): void;
}

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * Dashboard logins, in memory: the admin token is checked once and exchanged for a random
 * session id, so the browser never holds the token itself.
 */
export function createDashboardSessions(options: DashboardSessionsOptions = {}): DashboardSessions {
  const { ttlMs = 8 * 3_600_000, maxSessions = 100, now = Date.now } = options;
  const expiries = new Map<string, number>();
  return {
    open() {
      const id = randomBytes(32).toString('base64url');
      if (expiries.size >= maxSessions) {
        const oldest = expiries.keys().next().value;
        if (oldest !== undefined) expiries.delete(oldest);
      }
      expiries.set(id, now() + ttlMs);
      return id;
    },
    isValid(id) {
      if (id === undefined || !SESSION_ID.test(id)) return false;
      const expiry = expiries.get(id);
      if (expiry === undefined) return false;
      if (expiry > now()) return true;
      expiries.delete(id);
      return false;
    },
    close(id) {
      if (id !== undefined) expiries.delete(id);
    },
  };
}
