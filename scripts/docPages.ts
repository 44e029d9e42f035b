import path from 'node:path';

/**
 * Where each section of the documentation lives, by the anchor the README gave it before the
 * sections moved to docs/ (paths from the repository root). The README keeps these anchors,
 * each pointing at its page, and the generated tables turn links to them (`[Logs](#logs)`,
 * written in the catalogues' texts) into links to the pages.
 */
export const SECTION_PAGES: Readonly<Record<string, string>> = {
  'request-identity': 'docs/guide/request-identity.md',
  logs: 'docs/guide/logs.md',
  metrics: 'docs/guide/metrics.md',
  streams: 'docs/guide/streams.md',
  tracing: 'docs/guide/tracing.md',
  'three-modes': 'docs/guide/tracing.md#three-modes',
  health: 'docs/guide/health.md',
  'admin-guard-and-ops-routes': 'docs/guide/ops-routes.md',
  dashboard: 'docs/guide/dashboard.md',
  'telemetry-events': 'docs/guide/events.md',
  'graceful-shutdown': 'docs/guide/shutdown.md',
  errors: 'docs/guide/errors.md',
  configuration: 'docs/guide/configuration.md',
  'testing-your-service': 'docs/guide/testing.md',
  'prometheus-and-grafana': 'docs/operations/monitoring.md',
  performance: 'docs/operations/performance.md',
  'load-tests': 'docs/operations/load-tests.md',
  'measured-2026-11-22-2-cores-shared': 'docs/operations/load-tests.md#measured-2026-11-22-2-cores-shared',
  'timeline-tool': 'docs/operations/timeline.md',
  'reference-gateway': 'docs/gateway.md',
  'reference-competitor': 'docs/competitor.md',
  'browser-tests': 'docs/operations/browser-tests.md',
  'operator-commands': 'docs/operations/operator-commands.md',
  layout: 'docs/layout.md',
};

/** A link from `fromPage` to `target` (both from the repository root, `target` may carry a `#fragment`). */
export function linkFrom(fromPage: string, target: string): string {
  const [file = '', fragment] = target.split('#');
  const relative = path.posix.relative(path.posix.dirname(fromPage), file);
  if (file === fromPage) return fragment === undefined ? '#' : `#${fragment}`;
  return fragment === undefined ? relative : `${relative}#${fragment}`;
}

/** `text`, written for `page`, with its links to the README's old section anchors pointing at the sections' pages. */
export function relinkSections(text: string, page: string): string {
  return text.replace(/\]\(#([a-z0-9-]+)\)/g, (link, anchor: string) => {
    const target = SECTION_PAGES[anchor];
    return target === undefined ? link : `](${linkFrom(page, target)})`;
  });
}
