import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunnerMessage, ServerMessage } from './protocol';
import { createBenchApp, isVariantName, type BenchApp } from './variants';

function send(message: ServerMessage, then?: () => void): void {
  if (process.send === undefined) throw new Error('bench/server must be started with an IPC channel');
  process.send(message, undefined, {}, () => then?.());
}

function listen(bench: BenchApp): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = bench.app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(server)));
  });
}

async function stop(server: Server, bench: BenchApp): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await bench.shutdown();
  send({ type: 'stopped', logStats: bench.logStats() }, () => process.exit(0));
}

async function main(): Promise<void> {
  const variant = process.argv[2] ?? '';
  if (!isVariantName(variant)) throw new Error(`unknown variant ${JSON.stringify(variant)}`);
  const bench = createBenchApp(variant);
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
