import { createErrorRateMonitor, type ErrorRateDetails } from '../../src/errorRateMonitor';

function setup(options: { windowMs?: number; threshold?: number; minRequests?: number } = {}) {
  let time = Date.UTC(2025, 0, 1);
  const alerts: ErrorRateDetails[] = [];
  const monitor = createErrorRateMonitor({ ...options, now: () => time, onExceeded: (details) => void alerts.push(details) });
  const record = (requests: number, errors: number): void => {
    for (let i = 0; i < requests; i += 1) monitor.record(i < errors);
  };
  return { monitor, alerts, record, advance: (ms: number) => void (time += ms) };
}

describe('createErrorRateMonitor', () => {
  it('reports requests, errors and their rate over the window', () => {
    const { monitor, record } = setup();
    expect(monitor.rate()).toEqual({ requests: 0, errors: 0, rate: 0 });
    record(40, 10);
    expect(monitor.rate()).toEqual({ requests: 40, errors: 10, rate: 0.25 });
  });

  it('fires once when the rate passes the threshold, with the event measurements', () => {
    const { alerts, record } = setup({ threshold: 0.1, minRequests: 20, windowMs: 60_000 });
    record(20, 0);
    expect(alerts).toEqual([]);
    record(3, 3);
    expect(alerts).toEqual([{ rate: 3 / 23, threshold: 0.1, window_s: 60, requests: 23, errors: 3 }]);
    record(10, 10);
    expect(alerts).toHaveLength(1);
  });

  it('fires again only after the rate has fallen back to the threshold', () => {
    const { alerts, record } = setup({ threshold: 0.1, minRequests: 10 });
    record(10, 5);
    expect(alerts).toHaveLength(1);
    record(30, 0);
    expect(alerts).toHaveLength(1);
    record(20, 0);
    // 5 errors in 60 requests: below the threshold, so the next rise is a new alert.
    record(20, 20);
    expect(alerts).toHaveLength(2);
  });

  it('does not fire on fewer than minRequests requests, whatever their rate', () => {
    const { alerts, record } = setup({ minRequests: 20 });
    record(19, 19);
    expect(alerts).toEqual([]);
    record(1, 1);
    expect(alerts).toHaveLength(1);
  });

  it('forgets requests older than the window, second by second', () => {
    const { monitor, record, advance } = setup({ windowMs: 10_000 });
    record(10, 10);
    advance(5_000);
    record(10, 0);
    expect(monitor.rate()).toEqual({ requests: 20, errors: 10, rate: 0.5 });
    advance(5_000);
    expect(monitor.rate()).toEqual({ requests: 10, errors: 0, rate: 0 });
    advance(4_999);
    expect(monitor.rate().requests).toBe(10);
    advance(1);
    expect(monitor.rate()).toEqual({ requests: 0, errors: 0, rate: 0 });
  });

  it('starts from an empty window after a long quiet spell, and re-arms', () => {
    const { monitor, alerts, record, advance } = setup({ windowMs: 5_000, minRequests: 5 });
    record(5, 5);
    advance(3_600_000);
    expect(monitor.rate().requests).toBe(0);
    record(5, 5);
    expect(alerts).toHaveLength(2);
  });

  it('keeps counting into the current second when the clock goes back', () => {
    const { monitor, record, advance } = setup({ windowMs: 5_000 });
    record(3, 1);
    advance(-10_000);
    record(3, 1);
    expect(monitor.rate()).toEqual({ requests: 6, errors: 2, rate: 2 / 6 });
  });

  it('contains a throwing onExceeded: record() never throws', () => {
    const monitor = createErrorRateMonitor({
      minRequests: 1,
      onExceeded: () => {
        throw new Error('alert sink down');
      },
    });
    expect(() => monitor.record(true)).not.toThrow();
    expect(monitor.rate().errors).toBe(1);
  });

  it('refuses bad options, quoting them', () => {
    const onExceeded = (): void => undefined;
    expect(() => createErrorRateMonitor({ onExceeded, windowMs: 1500 })).toThrow(/windowMs must be a whole number of seconds.*got 1500/);
    expect(() => createErrorRateMonitor({ onExceeded, threshold: 5 })).toThrow(/threshold must be a number from 0 to 1, got 5/);
    expect(() => createErrorRateMonitor({ onExceeded, minRequests: 0 })).toThrow(/minRequests must be a positive integer, got 0/);
  });

  it('two monitors do not share their windows', () => {
    const a = setup({ minRequests: 1 });
    const b = setup({ minRequests: 1 });
    a.record(5, 5);
    expect(b.monitor.rate().requests).toBe(0);
    expect(b.alerts).toEqual([]);
  });
});
