import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { instrumentProcess } from '../src/instrumentation';
import type { BenchApp } from './apps';
import type { RunnerMessage, ServerMessage } from './protocol';
import { isTraced, isVariantName, type VariantName } from './variants';

// Nothing imported above loads Express, so a traced variant can patch `http` and Express before
// ./apps requires them, as `node -r sightline/register` does for a service. `instrumentProcess`
// comes from src/instrumentation, not src/index: src/index loads Express (middleware/ imports its
// Router).

function send(message: ServerMessage, then?: () => void): void {
  if (process.send === undefined) throw new Error('bench/server must be started with an IPC channel');
  process.send(message, undefined, {}, () => then?.());
}

function loadBenchApp(variant: VariantName): BenchApp {
  if (isTraced(variant) && instrumentProcess().expressLoadedFirst) {
    throw new Error(`${variant}: express was loaded before instrumentProcess(); its spans would be missing`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createBenchApp } = require('./apps') as typeof import('./apps');
  return createBenchApp(variant);
}

function listen(bench: BenchApp): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = bench.app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(server)));
  });
}

async function stop(server: Server, bench: BenchApp): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  // Shutdown flushes the spans still queued in the batch processor, so count after it.
  await bench.shutdown();
  const metricRequests = await bench.metricRequests();
  send({ type: 'stopped', logStats: bench.logStats(), spans: bench.spans(), metricRequests }, () => process.exit(0));
}

async function main(): Promise<void> {
  const variant = process.argv[2] ?? '';
  if (!isVariantName(variant)) throw new Error(`unknown variant ${JSON.stringify(variant)}`);
  const bench = loadBenchApp(variant);
  const server = await listen(bench);
  process.on('message', (message: RunnerMessage) => {
    if (message.type === 'stop') void stop(server, bench);
  });
  // An orphaned server would keep core 0 busy for the next run.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'listening', port: (server.address() as AddressInfo).port });
}

main().catch((error: unknown) => {
  send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }, () =>
    process.exit(1),
  );
});
