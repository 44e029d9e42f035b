import { createHash } from 'node:crypto';
import type { EventBus } from '../middleware';

export interface Session {
  readonly id: string;
  /** Names the session in telemetry: a session id may be a credential, its hash is not. */
  readonly ref: string;
  readonly createdAt: number;
  lastSeenAt: number;
  turns: number;
}

export interface SessionStoreOptions {
  readonly ttlMs: number;
  readonly cleanupIntervalMs: number;
  /** Sessions kept at most; the least recently used goes first. Default 10000. */
  readonly maxSessions?: number;
  readonly events: Pick<EventBus, 'emit'>;
  readonly now?: () => number;
}

export interface SessionStore {
  /** The live session of this id, created when there is none; counts a turn. */
  touch(id: string): { readonly session: Readonly<Session>; readonly created: boolean };
  get(id: string): Readonly<Session> | undefined;
  readonly size: number;
  /** Removes expired sessions now; emits `session.cleanup`. */
  cleanup(): number;
  close(): void;
}

const SESSION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function sessionRef(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 16);
}

export function isValidSessionId(value: string): boolean {
  return SESSION_ID.test(value);
}

/** Conversation sessions with a time to live, cleaned up periodically. */
export function createSessionStore(options: SessionStoreOptions): SessionStore {
  const { ttlMs, cleanupIntervalMs, maxSessions = 10_000, events, now = Date.now } = options;
  for (const [name, value] of Object.entries({ ttlMs, cleanupIntervalMs, maxSessions })) {
    if (!Number.isInteger(value) || value < 1) throw new TypeError(`sessions: ${name} must be a positive integer, got ${String(value)}`);
  }
  // A Map iterates in insertion order; re-inserting on use keeps the least recent first.
  const sessions = new Map<string, Session>();
  const timer = setInterval(cleanup, cleanupIntervalMs);
  timer.unref();

  function isExpired(session: Session, at: number): boolean {
    return at - session.lastSeenAt >= ttlMs;
  }

  function cleanup(): number {
    const started = now();
    let count = 0;
    for (const [id, session] of sessions) {
      if (!isExpired(session, started)) continue;
      sessions.delete(id);
      count += 1;
    }
    events.emit('session.cleanup', { count, duration_ms: now() - started });
    return count;
  }

  return {
    touch(id) {
      const at = now();
      const existing = sessions.get(id);
      if (existing !== undefined && !isExpired(existing, at)) {
        sessions.delete(id);
        existing.lastSeenAt = at;
        existing.turns += 1;
        sessions.set(id, existing);
        return { session: existing, created: false };
      }
      sessions.delete(id);
      if (sessions.size >= maxSessions) {
        const oldest = sessions.keys().next().value;
        if (oldest !== undefined) sessions.delete(oldest);
      }
      const session: Session = { id, ref: sessionRef(id), createdAt: at, lastSeenAt: at, turns: 1 };
      sessions.set(id, session);
      events.emit('session.created', { ttl_s: ttlMs / 1000 }, { session_ref: session.ref });
      return { session, created: true };
    },
    get(id) {
      const session = sessions.get(id);
      return session === undefined || isExpired(session, now()) ? undefined : session;
    },
    get size() {
      return sessions.size;
    },
    cleanup,
    close() {
      clearInterval(timer);
    },
  };
}
