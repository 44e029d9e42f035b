import { createServer, type RequestListener } from 'node:http';
import type { FailedMessage, ListeningMessage } from './protocol';

/**
 * Runs `onRequest` as a bench child process: listens on loopback (`PORT`, else any), tells the
 * runner its port or its failure over IPC, and exits when the runner goes away or says stop.
 */
export function serveAsChild(onRequest: RequestListener): void {
  const server = createServer(onRequest);
  server.on('error', (error) => {
    process.send?.({ type: 'failed', message: error.message } satisfies FailedMessage);
    process.exit(1);
  });
  server.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1', backlog: 4096 }, () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    process.send?.({ type: 'listening', port } satisfies ListeningMessage);
  });
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}
