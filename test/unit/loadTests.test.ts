/**
 * The pure parts of the load tests (infra/load): percentiles and tallies, threshold
 * evaluation and the printed report, the command line, and the /proc and /metrics parsers.
 * The scenarios themselves run against real processes in test/e2e/loadTests.test.ts.
 */
import { formatCpu, machineBusySeconds, processCpuSeconds } from '../../infra/load/cpu';
import { LoadUsageError, parseLoadArguments, SCENARIO_DEFAULTS } from '../../infra/load/options';
import { evaluate, formatChecks, formatPart, formatRss, formatTotal, type Thresholds } from '../../infra/load/report';
import { median, residentMemoryBytes, vmRssBytes } from '../../infra/load/rss';
import { completeStream } from '../../infra/load/scenarios';
import { mergeConcurrent, mergeSequential, percentile, summarize, type Tally } from '../../infra/load/tally';

function tally(latencies: number[], counts: Partial<Omit<Tally, 'latenciesMs'>> = {}): Tally {
  return { ok: latencies.length, non2xx: 0, errors: 0, timeouts: 0, mismatches: 0, elapsedSeconds: 1, ...counts, latenciesMs: Float64Array.from(latencies) };
}

const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);
const limits = (overrides: Partial<Thresholds> = {}): Thresholds => ({
  maxNon2xxPct: 1,
  p95Ms: 150,
  p99Ms: undefined,
  minRatePct: undefined,
  maxRssGrowthPct: undefined,
  ...overrides,
});

describe('tally', () => {
  it('takes nearest-rank percentiles from sorted values', () => {
    const sorted = Float64Array.from(oneToHundred);
    expect([percentile(sorted, 50), percentile(sorted, 95), percentile(sorted, 99), percentile(sorted, 100)]).toEqual([50, 95, 99, 100]);
    expect(percentile(Float64Array.from([7]), 95)).toBe(7);
    expect(percentile(new Float64Array(0), 95)).toBeNaN();
    expect(() => percentile(sorted, 0)).toThrow('p must be in (0, 100], got 0');
  });

  it('counts non-2xx answers, errors and bad bodies as the failed share of all requests', () => {
    const summary = summarize(tally([5, 1, 3], { ok: 96, non2xx: 2, errors: 2, timeouts: 1, mismatches: 1, elapsedSeconds: 2 }));
    expect(summary).toMatchObject({ requests: 100, failedPct: 5, okPerSecond: 48, p50Ms: 3, maxMs: 5 });
  });

  it('adds up the time of steps run one after another, and takes the longest of runs side by side', () => {
    const a = tally([1, 2], { elapsedSeconds: 4 });
    const b = tally([3], { elapsedSeconds: 5 });
    expect(mergeSequential([a, b])).toMatchObject({ ok: 3, elapsedSeconds: 9 });
    expect(mergeConcurrent([a, b])).toMatchObject({ ok: 3, elapsedSeconds: 5 });
    expect(Array.from(mergeSequential([a, b]).latenciesMs)).toEqual([1, 2, 3]);
  });

  it('reports nothing measured as NaN, which no threshold passes', () => {
    const checks = evaluate({ summary: summarize(tally([], { elapsedSeconds: 0 })) }, limits());
    expect(checks.map((c) => [c.name, c.passed, c.detail])).toEqual([
      ['non-2xx share', false, 'n/a% >= 1%'],
      ['p95', false, 'n/a ms >= 150 ms'],
    ]);
  });
});

describe('thresholds', () => {
  const summary = summarize(tally(oneToHundred, { elapsedSeconds: 2 }));

  it('passes latency and failed share strictly below their limits', () => {
    expect(evaluate({ summary }, limits({ p95Ms: 96, p99Ms: 99 })).map((c) => [c.name, c.passed, c.detail])).toEqual([
      ['non-2xx share', true, '0.00% < 1%'],
      ['p95', true, '95.0 ms < 96 ms'],
      ['p99', false, '99.0 ms >= 99 ms'],
    ]);
  });

  it('makes a zero p95 limit impossible to meet', () => {
    expect(evaluate({ summary }, limits({ p95Ms: 0 }))[1]).toMatchObject({ passed: false, detail: '95.0 ms >= 0 ms' });
  });

  it('checks the achieved rate against the target only for rate-driven runs', () => {
    expect(evaluate({ summary, targetRate: 50 }, limits({ minRatePct: 90 }))[2]).toMatchObject({ name: 'achieved rate', passed: true, detail: '50.0/s = 100.0% of 50/s >= 90%' });
    expect(evaluate({ summary, targetRate: 60 }, limits({ minRatePct: 90 }))[2]).toMatchObject({ passed: false, detail: '50.0/s = 83.3% of 60/s < 90%' });
    expect(evaluate({ summary }, limits({ minRatePct: 90 }))).toHaveLength(2);
  });

  it('fails RSS growth above the limit, passes it at the limit, and fails when RSS was never read', () => {
    const rss = (end: number) => ({ afterWarmupBytes: 100, endBytes: end, peakBytes: 130, samples: 10, source: '/proc/1/status' });
    const growth = (end: number | undefined) =>
      evaluate({ summary, rss: end === undefined ? undefined : rss(end) }, limits({ p95Ms: undefined, maxRssGrowthPct: 10 }))[1];
    expect(growth(110)).toMatchObject({ name: 'gateway RSS growth', passed: true, detail: '+10.00% <= 10%' });
    expect(growth(111)).toMatchObject({ passed: false, detail: '+11.00% > 10%' });
    expect(growth(90)).toMatchObject({ passed: true, detail: '-10.00% <= 10%' });
    expect(growth(undefined)).toMatchObject({ passed: false, detail: 'n/a% > 10%' });
  });
});

describe('report lines', () => {
  const summary = summarize(tally(oneToHundred, { ok: 100, non2xx: 1, errors: 2, timeouts: 1, mismatches: 3, elapsedSeconds: 2 }));

  it('prints a step, the total with what the failed share is made of, and RSS', () => {
    expect(formatPart('chat_load', 'step 1/5: 10 connections', summary)).toBe(
      '[chat_load] step 1/5: 10 connections, 2.0 s: 50 req/s, p50 50.0 ms, p95 95.0 ms, p99 99.0 ms, non-2xx 5.83%',
    );
    expect(formatTotal('stream_load', summary)).toBe(
      '[stream_load] total: 103 requests in 2.0 s, 50 req/s, p50 50.0 ms, p95 95.0 ms, p99 99.0 ms, max 100.0 ms, ' +
        'non-2xx 5.83% (1 non-2xx, 2 errors, 1 of them timeouts, 3 incomplete bodies)',
    );
    expect(formatRss('soak', { afterWarmupBytes: 100 * 1024 * 1024, endBytes: 105 * 1024 * 1024, peakBytes: 110 * 1024 * 1024, samples: 61, source: '/proc/7/status' })).toBe(
      '[soak] gateway RSS: 100.0 MiB after warm-up, 105.0 MiB at the end (+5.00%), peak 110.0 MiB, 61 samples from /proc/7/status',
    );
  });

  it('ends with PASS, or FAIL and how many thresholds were missed', () => {
    expect(formatChecks('chat_load', evaluate({ summary: summarize(tally(oneToHundred)) }, limits()))).toEqual([
      '[chat_load] PASS non-2xx share: 0.00% < 1%',
      '[chat_load] PASS p95: 95.0 ms < 150 ms',
      '[chat_load] result: PASS',
    ]);
    expect(formatChecks('chat_load', evaluate({ summary }, limits({ p95Ms: 0 }))).slice(-1)).toEqual(['[chat_load] result: FAIL (2 of 2 thresholds missed)']);
  });

  it('prints CPU per process and for the whole machine', () => {
    const line = formatCpu('health_load', {
      wallSeconds: 2,
      processes: [
        { name: 'gateway', cores: 0.934 },
        { name: 'competitor', cores: undefined },
      ],
      loadToolCores: 0.5,
      machineBusyCores: 1.99,
      machineCores: 2,
    });
    expect(line).toBe('[health_load] CPU while measured, in cores: gateway 0.93, competitor n/a, load tool 0.50, whole machine 1.99 of 2 busy');
  });
});

describe('command line', () => {
  const usage = (argv: string[]) => {
    try {
      parseLoadArguments(argv);
    } catch (error) {
      expect(error).toBeInstanceOf(LoadUsageError);
      return (error as Error).message;
    }
    throw new Error(`${argv.join(' ')} was accepted`);
  };

  it('resolves each scenario with its own defaults', () => {
    expect(parseLoadArguments(['chat_load'])).toMatchObject({
      scenario: 'chat_load',
      url: undefined,
      model: 'baseline',
      durationSeconds: 20,
      steps: [10, 50, 100, 200, 300],
      profile: 'instant',
      thresholds: { maxNon2xxPct: 1, p95Ms: 150 },
    });
    expect(parseLoadArguments(['soak'])).toMatchObject({ durationSeconds: 300, profile: 'fast', thresholds: { maxRssGrowthPct: 10 } });
    expect(parseLoadArguments(['stream_load'])).toMatchObject({ rate: 50, thresholds: SCENARIO_DEFAULTS.stream_load.thresholds });
  });

  it('overrides thresholds and shape by flag', () => {
    const options = parseLoadArguments(['chat_load', '--url', 'http://127.0.0.1:8080/', '--steps', '5, 10', '--duration', '4', '--p95-ms', '0', '--max-non2xx-pct', '0.5']);
    expect(options).toMatchObject({ url: 'http://127.0.0.1:8080', steps: [5, 10], durationSeconds: 4, thresholds: { p95Ms: 0, maxNon2xxPct: 0.5 } });
  });

  it('rejects bad values loudly, quoting them', () => {
    expect(usage([])).toBe('expected one scenario (chat_load, stream_load, health_load, soak), got none');
    expect(usage(['chat'])).toBe('unknown scenario "chat", expected one of chat_load, stream_load, health_load, soak');
    expect(usage(['chat_load', '--p95', '3'])).toBe('unknown flag --p95; did you mean --p95-ms? (npm run load -- --help lists them)');
    expect(usage(['chat_load', '--p95-ms', 'fast'])).toBe('--p95-ms must be a number of at least 0, got "fast"');
    expect(usage(['chat_load', '--duration', '3'])).toBe('--duration 3 is too short for 5 ramp steps (each needs at least 1 s)');
    expect(usage(['chat_load', '--steps', '10,x'])).toBe('--steps must be comma-separated connection counts of 1-10000, got "10,x"');
    expect(usage(['chat_load', '--url', 'http://127.0.0.1:8080/v1'])).toMatch(/^--url must be the gateway's origin only/);
    expect(usage(['stream_load', '--steps', '10'])).toBe('--steps applies to chat_load only, not stream_load');
    expect(usage(['soak', '--gateway-pid', '12'])).toMatch(/^--gateway-pid is for a gateway given with --url/);
    expect(usage(['chat_load', '--url', 'http://127.0.0.1:8080', '--profile', 'fast'])).toMatch(/^--profile sets up the tool's own services/);
    expect(usage(['chat_load', '--profile', 'turbo'])).toBe('--profile must be one of baseline, fast, slow, flaky, instant, got "turbo"');
  });
});

describe('process figures', () => {
  it('reads VmRSS from /proc/<pid>/status', () => {
    expect(vmRssBytes('Name:\tnode\nVmPeak:\t  999 kB\nVmRSS:\t  123456 kB\nRssAnon:\t 1 kB\n')).toBe(123456 * 1024);
    expect(vmRssBytes('Name:\tzombie\n')).toBeUndefined();
  });

  it('reads process_resident_memory_bytes from Prometheus text, with or without a prefix', () => {
    const text = '# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 104857600\n';
    expect(residentMemoryBytes(text)).toBe(104857600);
    expect(residentMemoryBytes('app_process_resident_memory_bytes{instance="a"} 2.5e7\n')).toBe(25_000_000);
    expect(residentMemoryBytes('process_cpu_seconds_total 3\n')).toBeUndefined();
  });

  it('takes CPU seconds from /proc/<pid>/stat past a command name with spaces, and busy time from /proc/stat', () => {
    const stat = '42 (node (a) b) S 1 42 42 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 11 0 100 0 0';
    expect(processCpuSeconds(stat)).toBe(3);
    expect(machineBusySeconds('cpu  100 10 50 1000 20 5 5 7 0 0\ncpu0 1 2 3\n')).toBe(1.7);
  });

  it('takes the median of RSS samples', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('accepts a stream only when it ended with [DONE] and carried no error event', () => {
    expect(completeStream('data: {"choices":[]}\n\ndata: [DONE]\n\n')).toBe(true);
    expect(completeStream('data: {"choices":[]}\n\n')).toBe(false);
    expect(completeStream('data: {"error":{"message":"upstream failed"}}\n\ndata: [DONE]\n\n')).toBe(false);
  });
});
