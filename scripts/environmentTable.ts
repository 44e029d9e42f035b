import { relinkSections } from './docPages';
import { ENVIRONMENT_GROUPS } from './environmentCatalogue';
import { replaceBetween } from './replaceBetween';

export const ENVIRONMENT_MARKERS: readonly [string, string] = ['<!-- env:start (npm run docs:metrics) -->', '<!-- env:end -->'];
/** The page that holds the one table of every environment variable. */
export const ENVIRONMENT_TABLE_PAGE = 'docs/guide/configuration.md';

const SHOWN_AS_IS = new Set(['unset', 'empty', 'all']);

function shownDefault(value: string): string {
  return SHOWN_AS_IS.has(value) || value.includes('`') || value.includes(' ') ? value : `\`${value}\``;
}

/** One table of every variable the repository reads, grouped by what reads it. */
export function renderEnvironmentTable(): string {
  const rows = ['| variable | read by | default | meaning |', '|---|---|---|---|'];
  for (const { readBy, variables } of ENVIRONMENT_GROUPS) {
    for (const variable of variables) {
      const names = variable.name.split(', ').map((name) => `\`${name}\``).join(', ');
      rows.push(`| ${names} | ${readBy} | ${shownDefault(variable.default)} | ${variable.meaning} |`);
    }
  }
  return rows.join('\n');
}

/**
 * `page` (the text of ENVIRONMENT_TABLE_PAGE) with its table replaced by a fresh rendering, the
 * meanings' links to other sections pointing at their pages; throws when the markers are missing.
 */
export function withEnvironmentTables(page: string): string {
  return replaceBetween(page, ENVIRONMENT_MARKERS[0], ENVIRONMENT_MARKERS[1], relinkSections(renderEnvironmentTable(), ENVIRONMENT_TABLE_PAGE));
}
