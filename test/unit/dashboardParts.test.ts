import { createDashboardFeed } from '../../src/dashboard/dashboardFeed';
import type { DashboardSnapshot } from '../../src/dashboard/dashboardSnapshot';
import { createDashboardSessions } from '../../src/dashboard/dashboardSessions';
import { quantileBetween } from '../../src/dashboard/histogramQuantile';
import { createRecentErrors } from '../../src/dashboard/recentErrors';

describe('quantileBetween', () => {
  const bounds = [0.01, 0.1, 1, Infinity];

  it('interpolates within the bucket, over the observations between two readings only', () => {
    const before = { bounds, counts: [100, 100, 100, 100] };
    const after = { bounds, counts: [100, 110, 110, 110] };
    // Ten new observations, all in (0.01, 0.1]: the median is half-way through that bucket.
    expect(quantileBetween(before, after, 0.5)).toBeCloseTo(0.055, 6);
    expect(quantileBetween(undefined, after, 0.5)).toBeCloseTo(0.01 * (55 / 100), 6);
  });

  it('is undefined without new observations, and the highest finite bound when the rank is in +Inf', () => {
    const reading = { bounds, counts: [1, 2, 3, 4] };
    expect(quantileBetween(reading, reading, 0.95)).toBeUndefined();
    expect(quantileBetween(undefined, { bounds, counts: [0, 0, 0, 5] }, 0.95)).toBe(1);
  });
});

describe('dashboard sessions', () => {
  it('open random ids that expire, and close on logout', () => {
    let now = 0;
    const sessions = createDashboardSessions({ ttlMs: 1000, now: () => now });
    const id = sessions.open();
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sessions.open()).not.toBe(id);
    expect(sessions.isValid(id)).toBe(true);
    expect(sessions.isValid(undefined)).toBe(false);
    expect(sessions.isValid('forged')).toBe(false);
    now = 1001;
    expect(sessions.isValid(id)).toBe(false);
    const other = sessions.open();
    sessions.close(other);
    expect(sessions.isValid(other)).toBe(false);
  });

  it('forget the oldest session past the bound', () => {
    const sessions = createDashboardSessions({ maxSessions: 2 });
    const [a, b, c] = [sessions.open(), sessions.open(), sessions.open()];
    expect([a, b, c].map((id) => sessions.isValid(id))).toEqual([false, true, true]);
  });
});

describe('recent errors', () => {
  it('keeps the newest, newest first', () => {
    const errors = createRecentErrors(2);
    for (const id of ['a', 'b', 'c']) errors.record({ time: '', request_id: id, method: 'GET', route: '/', status: 500, message: '' });
    expect(errors.list().map((e) => e.request_id)).toEqual(['c', 'b']);
    expect(errors.list(1).map((e) => e.request_id)).toEqual(['c']);
  });
});

describe('dashboard feed', () => {
  const snapshot = (time: number) =>
    ({ time, http: { requests_per_s: 1, errors_per_s: 0, p50_ms: 1, p95_ms: 2, in_flight: 0 }, streams: { active: 0 }, process: { rss_bytes: 1, event_loop_lag_ms: 0 } }) as unknown as DashboardSnapshot;

  it('samples only while someone watches, and contains a failing sample or listener', async () => {
    let calls = 0;
    const failures: unknown[] = [];
    const feed = createDashboardFeed({
      intervalMs: 20,
      sample: async () => {
        calls += 1;
        if (calls === 2) throw new Error('metrics unavailable');
        return snapshot(calls);
      },
      onError: (error) => failures.push(error),
    });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(calls).toBe(0);

    const seen: number[] = [];
    const unsubscribe = feed.subscribe((s) => seen.push(s.time));
    feed.subscribe(() => {
      throw new Error('viewer gone');
    });
    await new Promise((resolve) => setTimeout(resolve, 120));
    unsubscribe();
    expect(feed.viewers).toBe(0);
    const stoppedAt = calls;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(calls).toBe(stoppedAt);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen).not.toContain(2);
    expect(failures.map(String)).toEqual(expect.arrayContaining(['Error: metrics unavailable', 'Error: viewer gone']));
    expect(feed.history().length).toBe(stoppedAt - 1);
  });
});
