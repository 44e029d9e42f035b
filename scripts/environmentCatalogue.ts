import { COMPETITOR_ENVIRONMENT } from '../competitor/config';
import { GATEWAY_ENV_VARIABLES } from '../gateway/config';
import { SIGHTLINE_ENVIRONMENT, type EnvironmentVariable } from '../src/environmentVariables';

/** Who reads a variable: one group of rows in the table of the configuration page. */
export interface EnvironmentGroup {
  readonly readBy: string;
  readonly variables: readonly EnvironmentVariable[];
}

const LAUNCHER: readonly EnvironmentVariable[] = [
  { name: 'PORT', default: '8080', meaning: 'the gateway\'s port; the competitors take the next three unless `COMPETITOR_PORTS` says otherwise' },
  { name: 'COMPETITOR_PORTS', default: 'PORT+1..PORT+3', meaning: 'ports of baseline, fast and flaky, comma-separated' },
  { name: 'OBS_ADMIN_TOKEN', default: 'a fresh one', meaning: 'given to every service; without it a random token is written to `.sightline/admin-token` (what `infra/prometheus` reads)' },
];

const DEMO: readonly EnvironmentVariable[] = [{ name: 'PORT', default: '8080', meaning: 'port of the demo service' }];

const OPERATOR_COMMANDS: readonly EnvironmentVariable[] = [
  { name: 'TELEGRAM_BOT_TOKEN', default: 'unset', meaning: 'bot token of `notify-telegram` and `audio-telegram`; never printed; without it they run dry' },
  { name: 'TELEGRAM_CHAT_ID', default: 'unset', meaning: 'chat they post to (a numeric id or `@channel`)' },
  { name: 'TELEGRAM_API_BASE', default: 'https://api.telegram.org', meaning: 'Bot API base URL (`{base}/bot<token>/<method>`), for a local Bot API server or a test fake' },
  { name: 'RENDER_API_KEY', default: 'unset', meaning: 'Render API key of `deploy-watch` (bearer); with `RENDER_SERVICE_ID`, the deploy is followed on Render before the health check; never printed' },
  { name: 'RENDER_SERVICE_ID', default: 'unset', meaning: 'the Render service whose latest deploy is followed (`srv-…`)' },
  { name: 'RENDER_API_BASE', default: 'https://api.render.com/v1', meaning: 'Render API base URL' },
];

const SANDBOX_CHILD: readonly EnvironmentVariable[] = [
  { name: 'TRACEPARENT, TRACESTATE', default: 'set by the pool', meaning: 'the `sandbox.exec` span\'s W3C trace context, so the child\'s spans and log lines join the call\'s trace' },
];

const TESTS: readonly EnvironmentVariable[] = [
  { name: 'SIGHTLINE_REQUIRE_SYSTEM_DEPS', default: 'unset', meaning: '`1` (set by `.ci/run`): tests that need `prometheus`, `promtool`, `chromium` or `espeak-ng` fail instead of skipping when it is missing' },
  { name: 'SIGHTLINE_CHROMIUM_PATH', default: 'the `chromium` on `PATH` (`/usr/bin/chromium`)', meaning: 'the Chromium the browser tests drive' },
];

const BENCHMARKS: readonly EnvironmentVariable[] = [
  { name: 'BENCH_ROUNDS, BENCH_SECONDS, BENCH_WARMUP_SECONDS, BENCH_CONNECTIONS', default: '3, 5, 2, 32', meaning: '`npm run bench`: interleaved rounds, measured and warm-up seconds per variant, autocannon connections' },
  { name: 'BENCH_BEFORE', default: 'unset', meaning: '`npm run bench`: a commit, tag or branch whose build also runs every chosen sightline variant (as `<variant>@before`) in the same rounds; its results go to a section of their own in bench/RESULTS.md' },
  { name: 'BENCH_VARIANTS', default: 'all', meaning: '`npm run bench`: comma-separated variants to run' },
  { name: 'BENCH_STREAMS_ROUNDS, BENCH_STREAMS_COUNTS, BENCH_STREAMS_UPSTREAMS', default: '3, 1,100,1000, raw,competitor', meaning: '`npm run bench:streams`: rounds, concurrent streams per measurement, upstreams' },
  { name: 'BENCH_STREAMS_SLOW, BENCH_STREAMS_SLOW_HOLD_SECONDS, BENCH_STREAMS_CAP', default: '10000, 15, unset', meaning: '`npm run bench:streams`: slow streams held (0 skips), how long, and `1` for the run beyond one competitor\'s connection cap' },
  { name: 'BENCH_STREAMS_JSON_SECONDS, BENCH_STREAMS_PROFILE, BENCH_STREAMS_UPSTREAM_CORE', default: '3, 1, 1', meaning: '`npm run bench:streams`: non-streaming seconds (0 skips), `0` skips the CPU profiles, core of the upstream' },
];

/**
 * Every environment variable the repository reads, by reader: the configuration page renders one
 * table from it. sightline's, the gateway's and the competitor's rows come from their settings
 * tables (`defineSettings`), the ones their loaders read; the scripts' are listed above.
 */
export const ENVIRONMENT_GROUPS: readonly EnvironmentGroup[] = [
  { readBy: 'sightline', variables: SIGHTLINE_ENVIRONMENT },
  { readBy: 'gateway', variables: GATEWAY_ENV_VARIABLES },
  { readBy: 'competitor', variables: COMPETITOR_ENVIRONMENT },
  { readBy: '`npm start`', variables: LAUNCHER },
  { readBy: '`npm run demo`', variables: DEMO },
  { readBy: 'operator commands', variables: OPERATOR_COMMANDS },
  { readBy: 'sandbox child', variables: SANDBOX_CHILD },
  { readBy: 'tests', variables: TESTS },
  { readBy: 'benchmarks', variables: BENCHMARKS },
];

/** Every name in the catalogue (rows naming several variables count each). */
export function catalogued(): Set<string> {
  return new Set(ENVIRONMENT_GROUPS.flatMap((group) => group.variables.flatMap((variable) => variable.name.split(', '))));
}
