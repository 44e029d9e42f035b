import { COMPETITOR_ENVIRONMENT } from '../competitor/config';
import { GATEWAY_ENV_VARIABLES } from '../gateway/config';
import { replaceBetween } from './replaceBetween';

interface Variable {
  readonly name: string;
  readonly default: string;
  readonly meaning: string;
}

/** The reference apps' variables, rendered from the lists their config modules export. */
const TABLES: readonly { readonly app: string; readonly variables: readonly Variable[] }[] = [
  { app: 'gateway', variables: GATEWAY_ENV_VARIABLES },
  { app: 'competitor', variables: COMPETITOR_ENVIRONMENT },
];

const markers = (app: string): [string, string] => [`<!-- env:${app}:start (npm run docs:metrics) -->`, `<!-- env:${app}:end -->`];

function render(variables: readonly Variable[]): string {
  const rows = ['| variable | default | meaning |', '|---|---|---|'];
  for (const variable of variables) {
    const names = variable.name.split(', ').map((name) => `\`${name}\``).join(', ');
    const fallback = variable.default === '—' || variable.default.includes('`') || variable.default.includes(' ') ? variable.default : `\`${variable.default}\``;
    rows.push(`| ${names} | ${fallback} | ${variable.meaning} |`);
  }
  return rows.join('\n');
}

export function withEnvironmentTables(readme: string): string {
  let updated = readme;
  for (const { app, variables } of TABLES) {
    const [start, end] = markers(app);
    updated = replaceBetween(updated, start, end, render(variables));
  }
  return updated;
}
