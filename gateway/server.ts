import { createServer } from 'node:http';
import { openAiErrorFormat } from '../middleware';
import { createGatewayApp, type GatewayApp } from './app';
import { GatewayConfigError } from './config';

/** `node dist/gateway/server.js`: the gateway on PORT. Prints JSON log lines only. */
function main(): void {
  let gateway: GatewayApp;
  try {
    gateway = createGatewayApp();
  } catch (error) {
    // No logger exists yet: the line is written by hand, in the same shape.
    const problems = error instanceof GatewayConfigError ? error.problems : undefined;
    const message = error instanceof Error ? error.message : String(error);
    process.stdout.write(
      `${JSON.stringify({ timestamp: new Date().toISOString(), level: 'fatal', message: 'gateway could not start', service: 'gateway', target: 'gateway', error: message, problems })}\n`,
    );
    process.exitCode = 1;
    return;
  }
  const { app, obs, config } = gateway;
  const server = createServer(app);
  server.on('error', (error) => {
    obs.logger.fatal('gateway could not listen', { target: 'gateway', error, port: config.port, host: config.host });
    void gateway.close().finally(() => process.exit(1));
  });
  obs.attachServer(server, { format: openAiErrorFormat });
  server.listen({ port: config.port, host: config.host, backlog: 4096 }, () => {
    const address = server.address();
    obs.logger.info('gateway listening', {
      target: 'gateway',
      port: typeof address === 'object' && address !== null ? address.port : config.port,
      host: config.host,
      competitors: config.competitors.map(({ id, url }) => ({ id, url })),
    });
  });
  obs.handleSignals(server, {
    exit: (code) => {
      void gateway.close().finally(() => process.exit(code));
    },
  });
}

main();
