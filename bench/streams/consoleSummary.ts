import type { StreamsReport } from './report';
import { failuresText, fixed, signed } from './reportText';
import { ms } from './stats';

/** The run's figures as the runner prints them at the end: medians per cell, slow streams, non-streaming, profiles, targets. */
export function consoleSummary(report: StreamsReport): string {
  const lines: string[] = [];
  const upstreams = [...new Set(report.cells.map((c) => c.upstream))];
  for (const upstream of upstreams) {
    lines.push(`\n${upstream} upstream (median over rounds)`);
    lines.push(
      [
        'streams'.padStart(7),
        'path'.padEnd(8),
        'TTFB p50'.padStart(9),
        'p99'.padStart(8),
        'gap p50'.padStart(8),
        'p99'.padStart(8),
        '+TTFB p50'.padStart(10),
        '+gap p50'.padStart(9),
        'frames/s'.padStart(9),
        'cores'.padStart(6),
        'µs/frame'.padStart(9),
        'RSS MB'.padStart(7),
        'failed'.padStart(7),
      ].join(' '),
    );
    for (const c of report.cells.filter((x) => x.upstream === upstream)) {
      const relay = c.path !== 'direct';
      lines.push(
        [
          String(c.streams).padStart(7),
          c.path.padEnd(8),
          ms(c.ttfbP50.median).padStart(9),
          ms(c.ttfbP99.median).padStart(8),
          ms(c.gapP50.median).padStart(8),
          ms(c.gapP99.median).padStart(8),
          (relay ? signed(c.addedTtfbP50) : '').padStart(10),
          (relay ? signed(c.addedGapP50) : '').padStart(9),
          fixed(c.framesPerSecond.median, 0).padStart(9),
          (relay ? fixed(c.relayCores.median, 2) : '').padStart(6),
          (relay ? fixed(c.relayCpuMicrosPerFrame.median, 1) : '').padStart(9),
          (relay ? fixed(c.relayPeakRssMb.median, 0) : '').padStart(7),
          String(c.failed).padStart(7),
        ].join(' '),
      );
    }
  }
  if (report.slow.length > 0) {
    lines.push('\nslow streams');
    for (const s of report.slow) {
      lines.push(
        `  ${s.relay}${s.relay === 'gateway' ? ` (${s.competitorIds} ids)` : ''}: ${s.held}/${s.streams} held ${fixed(s.holdSeconds, 1)} s after ${fixed(s.openSeconds, 1)} s, ` +
          `failed ${failuresText(s.failures)}, RSS idle ${fixed(s.idleRssMb, 0)} MB, held ${fixed(s.holdRssMb, 0)} MB, peak ${fixed(s.peakRssMb, 0)} MB, ${fixed(s.relayCores, 2)} cores`,
      );
    }
  }
  if (report.jsonCells.length > 0) {
    lines.push('\nnon-streaming');
    for (const c of report.jsonCells) {
      lines.push(
        `  ${c.upstream.padEnd(10)} ${c.path.padEnd(8)} ${fixed(c.requestsPerSecond.median, 0).padStart(6)} req/s` +
          `${c.path === 'direct' ? '' : `  ×${fixed(c.ratioToNaive.median, 3)} of naive  ${fixed(c.relayCpuMicrosPerRequest.median, 1)} µs/req`}`,
      );
    }
  }
  for (const profile of report.profiles) {
    lines.push(`\ngateway profile, ${profile.kind} (self time, share of busy): ${profile.what}`);
    for (const c of profile.categories.slice(0, 8)) lines.push(`  ${c.category.padEnd(32)} ${fixed(c.share * 100, 1).padStart(5)}%`);
    for (const f of profile.functions.slice(0, 12)) lines.push(`  ${fixed(f.share * 100, 1).padStart(5)}%  ${f.name}  ${f.where}`);
  }
  lines.push('\nTargets');
  for (const v of report.verdicts) lines.push(`  ${v.verdict.padEnd(12)} [${v.upstream ?? ''}] ${v.target}: ${v.measured}`);
  return lines.join('\n');
}
