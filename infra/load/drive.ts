import autocannon from 'autocannon';
import type { Tally } from './tally';

/** One kind of request autocannon sends, on its own connections. */
export interface Workload {
  /** Full URL, path included. */
  readonly url: string;
  readonly method: 'GET' | 'POST';
  /** A JSON body (sent with `content-type: application/json`). */
  readonly body?: string;
  readonly connections: number;
  /** Requests per second over all connections; undefined: as fast as answers come. */
  readonly overallRate?: number;
  /** A 2xx answer whose body fails this counts as a mismatch (a failure). */
  readonly verifyBody?: (body: string) => boolean;
}

/** Float64 values appended without boxing. */
class Samples {
  private values = new Float64Array(4096);
  private size = 0;

  push(value: number): void {
    if (this.size === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.size] = value;
    this.size += 1;
  }

  toArray(): Float64Array {
    return this.values.slice(0, this.size);
  }
}

/**
 * Runs `workload` for `seconds` (autocannon stops on its one-second tick, so a run lasts
 * whole seconds) and tallies what came back. Latency is autocannon's per-request time from
 * writing the request to the end of the response body, recorded for 2xx answers only; it is
 * not corrected for coordinated omission. `signal` stops the run early.
 */
export function drive(workload: Workload, seconds: number, timeoutSeconds: number, signal?: AbortSignal): Promise<Tally> {
  const latencies = new Samples();
  const started = process.hrtime.bigint();
  return new Promise<Tally>((resolve, reject) => {
    const instance = autocannon(
      {
        url: workload.url,
        method: workload.method,
        ...(workload.body === undefined ? {} : { body: workload.body, headers: { 'content-type': 'application/json' } }),
        connections: workload.connections,
        ...(workload.overallRate === undefined ? {} : { overallRate: workload.overallRate }),
        ...(workload.verifyBody === undefined ? {} : { verifyBody: workload.verifyBody as (body: unknown) => boolean }),
        pipelining: 1,
        duration: seconds,
        timeout: timeoutSeconds,
      },
      (error, result) => {
        signal?.removeEventListener('abort', onAbort);
        if (error !== null && error !== undefined) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        resolve({
          ok: result['2xx'],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          mismatches: result.mismatches,
          elapsedSeconds: Number(process.hrtime.bigint() - started) / 1e9,
          latenciesMs: latencies.toArray(),
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
    const onAbort = (): void => instance.stop();
    if (signal?.aborted === true) instance.stop();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
