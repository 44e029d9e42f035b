import { startServer } from './serverProcess';
import type { BenchSettings } from './settings';
import { ROUTE_PATH, type VariantName } from './variants';

export interface LogCheck {
  readonly variant: VariantName;
  readonly requests: number;
  readonly lines: number;
  readonly expected: string;
}

const CHECK_REQUESTS = 200;

/**
 * Before timing anything: every variant answers the route correctly and writes the log
 * lines it claims to, so a fast number can never come from a variant that logs nothing.
 */
export async function checkVariant(variant: VariantName, settings: BenchSettings): Promise<LogCheck> {
  const server = await startServer(variant, { core: settings.serverCore, captureOutput: true });
  let output: string;
  try {
    await sendCheckedRequests(`http://127.0.0.1:${server.port}${ROUTE_PATH}`, CHECK_REQUESTS);
  } finally {
    ({ output } = await server.stop());
  }
  const lines = logLines(output, variant);
  const range = expectedLines(variant, CHECK_REQUESTS);
  const check = { variant, requests: CHECK_REQUESTS, lines, expected: `${range.min}..${range.max}` };
  if (lines < range.min || lines > range.max) {
    throw new Error(`${variant}: ${lines} access-log lines for ${CHECK_REQUESTS} requests, expected ${check.expected}`);
  }
  return check;
}

async function sendCheckedRequests(url: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const response = await fetch(url);
    const body: unknown = await response.json();
    if (response.status !== 200 || JSON.stringify(body) !== '{"id":"42","name":"item 42"}') {
      throw new Error(`GET ${url} answered ${response.status} ${JSON.stringify(body)}`);
    }
  }
}

function logLines(output: string, variant: VariantName): number {
  const lines = output.split('\n').filter((line) => line.trim() !== '');
  for (const line of lines) {
    try {
      JSON.parse(line);
    } catch {
      throw new Error(`${variant}: stdout line is not JSON: ${line.slice(0, 200)}`);
    }
  }
  return lines.length;
}

/** Sampling at 0.1 is random per request: the bounds only catch "nothing" and "everything". */
function expectedLines(variant: VariantName, requests: number): { readonly min: number; readonly max: number } {
  switch (variant) {
    case 'bare':
    case 'sightline-disabled':
      return { min: 0, max: 0 };
    case 'pino-http':
      return { min: requests, max: requests };
    case 'sightline-rate1':
    case 'sightline-cls':
      return { min: 2 * requests, max: 2 * requests };
    case 'sightline-rate0.1':
      return { min: 2, max: Math.round(requests * 0.6) };
  }
}
