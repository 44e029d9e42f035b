import { Counter, Histogram, Registry } from 'prom-client';
import { httpMetricBatch, type HttpMetricSet } from '../../middleware/httpMetricBatch';

const LABELS = ['status_code', 'method', 'route'];

function metricSet(latency?: Histogram<string>): HttpMetricSet {
  const registers = [new Registry()];
  return {
    requests: new Counter({ name: 'requests_total', help: 'h', labelNames: LABELS, registers }),
    latency: latency ?? new Histogram({ name: 'latency_seconds', help: 'h', labelNames: LABELS, registers }),
    responseSize: new Histogram({ name: 'size_bytes', help: 'h', labelNames: LABELS, buckets: [10, 100], registers }),
  };
}

const ok = { status_code: 200, method: 'GET', route: '/v1/items/:id' };

/** The first value of the metric, or of its series `name` (a histogram's `_count`, `_sum`). */
async function count(metric: Counter<string> | Histogram<string>, name?: string): Promise<number> {
  const { values } = await metric.get();
  const found = (values as { value: number; metricName?: string }[]).find((value) => name === undefined || value.metricName === name);
  return found?.value ?? 0;
}

describe('httpMetricBatch', () => {
  it('applies what finished before a read, at the read', async () => {
    const set = metricSet();
    const batch = httpMetricBatch(set);
    batch.record(ok, 0.012, 42);
    batch.record(ok, undefined, 7);
    expect(await count(set.requests)).toBe(2);
    // The stream (no duration) is counted, and kept out of both histograms.
    expect(await count(set.latency, 'latency_seconds_count')).toBe(1);
    expect(await count(set.responseSize, 'size_bytes_sum')).toBe(42);
  });

  it('applies on its own within its delay, with no read to prompt it', async () => {
    const set = metricSet();
    httpMetricBatch(set).record(ok, 0.01, 1);
    // Without the read hook, only the timer can have applied it.
    (set.requests as unknown as { collect?: unknown }).collect = undefined;
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(await count(set.requests)).toBe(1);
  });

  it('is one batch per metric set, whoever asks', () => {
    const set = metricSet();
    expect(httpMetricBatch(set)).toBe(httpMetricBatch(set));
    expect(httpMetricBatch(metricSet())).not.toBe(httpMetricBatch(set));
  });

  it('contains a failing observation: the reader and the other requests are unharmed', async () => {
    const registers = [new Registry()];
    class BrokenHistogram extends Histogram<string> {
      override observe(): void {
        throw new Error('observe failed');
      }
    }
    const set = metricSet(new BrokenHistogram({ name: 'broken_seconds', help: 'h', labelNames: LABELS, registers }));
    const batch = httpMetricBatch(set);
    batch.record(ok, 0.01, 1);
    batch.record({ ...ok, status_code: 500 }, 0.02, 2);
    await expect(set.requests.get()).resolves.toBeDefined();
    const { values } = await set.requests.get();
    expect(values.map((value) => value.labels.status_code).sort()).toEqual([200, 500]);
  });
});
