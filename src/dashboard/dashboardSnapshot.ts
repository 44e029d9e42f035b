import type { HealthStatus } from '../healthRegistry';
import type { RecentError } from './recentErrors';

/** What the dashboard shows at one moment; pushed to every viewer once a second. */
export interface DashboardSnapshot {
  /** Epoch ms. */
  readonly time: number;
  readonly service: string;
  readonly version: string;
  /** From the health checks: a failing critical check is `fail`, another failing check `warn`. */
  readonly status: 'ok' | 'warn' | 'fail';
  readonly draining: boolean;
  readonly checks: readonly DashboardCheck[];
  readonly http: DashboardHttp;
  readonly streams: { readonly active: number; readonly upstreams: readonly DashboardUpstream[] };
  readonly pools: readonly DashboardPool[];
  readonly errors: readonly RecentError[];
  readonly events: readonly DashboardEvent[];
  readonly process: { readonly rss_bytes: number; readonly heap_used_bytes: number; readonly event_loop_lag_ms: number };
}

export interface DashboardCheck {
  readonly name: string;
  readonly status: HealthStatus;
  readonly critical: boolean;
  readonly message: string | null;
}

/** Rates over the last second; quantiles over the last ten (null when nothing was answered). */
export interface DashboardHttp {
  readonly requests_per_s: number;
  readonly errors_per_s: number;
  /** 5xx share of the requests answered in the last second. */
  readonly error_ratio: number;
  readonly p50_ms: number | null;
  readonly p95_ms: number | null;
  readonly in_flight: number;
  readonly requests_total: number;
  readonly errors_total: number;
}

/** One upstream's streams over the last minute. */
export interface DashboardUpstream {
  readonly upstream: string;
  readonly active: number;
  readonly streams: number;
  readonly ttft_p50_ms: number | null;
  readonly ttft_p95_ms: number | null;
  readonly max_gap_p95_ms: number | null;
}

export interface DashboardPool {
  readonly name: string;
  readonly state: string | null;
  readonly total: number | null;
  readonly available: number | null;
  readonly busy: number | null;
  readonly queue: number | null;
  readonly requests_per_s: number | null;
  readonly crashes: number | null;
}

export interface DashboardEvent {
  readonly time: string;
  readonly name: string;
  readonly request_id: string | null;
  /** A short `key=value` rendering of its metadata and measurements. */
  readonly summary: string;
}
