import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stopServices, type LauncherOutput, type RunningService } from './launcher';
import { PIPELINE_COMPETITORS as COMPETITORS, PIPELINE_HOST as HOST, pipelineSpecs, startPipeline } from './pipeline';

/**
 * `npm start` / `npm run autonomous`: the gateway on PORT (8080) and the competitors
 * baseline, fast and flaky on the next three ports, each its own process on loopback.
 * Every service's JSON log lines are forwarded unchanged to stdout, so one stream holds the
 * whole pipeline; Ctrl-C or SIGTERM stops them all.
 */

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 15_000;


const output: LauncherOutput = {
  line: (text) => process.stdout.write(`${text}\n`),
  note: (fields) =>
    process.stdout.write(`${JSON.stringify({ timestamp: new Date().toISOString(), level: 'info', service: 'launcher', target: 'launcher', ...fields })}\n`),
};

function ports(): { gateway: number; competitors: number[] } {
  const gateway = Number(process.env.PORT ?? 8080);
  const listed = process.env.COMPETITOR_PORTS?.split(',').map(Number);
  const competitors = listed ?? COMPETITORS.map((_, index) => gateway + 1 + index);
  if (!Number.isInteger(gateway) || gateway < 1 || gateway > 65535 || competitors.length !== COMPETITORS.length || competitors.some((port) => !Number.isInteger(port) || port < 1 || port > 65535)) {
    throw new Error(`PORT must be a port number and COMPETITOR_PORTS ${COMPETITORS.length} comma-separated port numbers, got PORT=${process.env.PORT ?? ''} COMPETITOR_PORTS=${process.env.COMPETITOR_PORTS ?? ''}`);
  }
  return { gateway, competitors };
}

/** The admin token of this run: the configured one, else a fresh one written where Prometheus can read it. */
function adminToken(): { token: string; file: string | undefined } {
  const configured = process.env.OBS_ADMIN_TOKEN;
  if (configured !== undefined && configured !== '') return { token: configured, file: undefined };
  const token = randomBytes(24).toString('base64url');
  const directory = path.resolve(process.cwd(), '.sightline');
  mkdirSync(directory, { recursive: true });
  const file = path.join(directory, 'admin-token');
  writeFileSync(file, token, { mode: 0o600 });
  return { token, file };
}

async function main(): Promise<void> {
  const { gateway: gatewayPort, competitors: competitorPorts } = ports();
  const { token, file } = adminToken();
  const shared = { OBS_ADMIN_TOKEN: token, OBS_SHUTDOWN_DRAIN_DELAY_MS: process.env.OBS_SHUTDOWN_DRAIN_DELAY_MS ?? '500' };
  const specs = pipelineSpecs({
    appRoot: path.resolve(__dirname, '..'),
    extension: path.extname(__filename),
    gatewayPort,
    competitorPorts,
    shared,
  });

  const services: RunningService[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (reason: string, code: number): Promise<void> => {
    stopping ??= (async () => {
      output.note({ message: 'stopping the pipeline', reason });
      await stopServices(services, STOP_GRACE_MS);
      output.note({ message: 'pipeline stopped' });
      process.exit(code);
    })();
    return stopping;
  };
  process.on('SIGINT', () => void stop('SIGINT', 0));
  process.on('SIGTERM', () => void stop('SIGTERM', 0));

  try {
    await startPipeline(specs, services, output, process.env, READY_TIMEOUT_MS);
  } catch (error) {
    output.note({ level: 'error', message: 'the pipeline could not start', error: error instanceof Error ? error.message : String(error) });
    await stop('start failed', 1);
    return;
  }
  for (const service of services) {
    void service.exited.then(({ code, signal }) => {
      if (stopping === undefined) void stop(`${service.name} exited (code ${String(code)}, signal ${String(signal)})`, 1);
    });
  }
  const base = `http://${HOST}:${gatewayPort}`;
  output.note({
    message: 'pipeline ready',
    ui: `${base}/`,
    api: `${base}/v1/chat/completions`,
    health: `${base}/health/detailed`,
    metrics: `${base}/metrics`,
    dashboard: `${base}/ops/dashboard`,
    competitors: Object.fromEntries(COMPETITORS.map(({ id }, index) => [id, `http://${HOST}:${competitorPorts[index]}`])),
    admin_token_file: file,
    node: process.version,
  });
  process.stderr.write(
    `\nsightline pipeline ready\n  Node      ${process.version} (${process.execPath}; every service runs on it)\n  UI        ${base}/\n  API       ${base}/v1/chat/completions (models: ${COMPETITORS.map((c) => c.id).join(', ')})\n  health    ${base}/health/detailed\n  metrics   ${base}/metrics (admin token${file === undefined ? ' from OBS_ADMIN_TOKEN' : ` in ${file}`})\n  Ctrl-C stops everything\n\n`,
  );
}

void main();
