import { createServer } from 'node:http';
import { openAiErrorFormat } from '../middleware';
import { createCompetitorApp, type CompetitorApp } from './app';

/** `npm run competitor`: one competitor on PORT. Prints JSON log lines only; SIGTERM or SIGINT stop it gracefully. */
function main(): void {
  let competitor: CompetitorApp;
  try {
    competitor = createCompetitorApp();
  } catch (error) {
    // No logger exists yet: the line is written by hand, in the same shape.
    const message = error instanceof Error ? error.message : String(error);
    process.stdout.write(
      `${JSON.stringify({ timestamp: new Date().toISOString(), level: 'fatal', message: 'competitor could not start', service: 'competitor', target: 'lifecycle', error: message })}\n`,
    );
    process.exitCode = 1;
    return;
  }
  const { app, obs, config } = competitor;
  const server = createServer(app);
  server.on('error', (error) => {
    obs.logger.fatal('competitor could not listen', { target: 'lifecycle', error, port: config.port, host: config.host });
    void competitor.close().finally(() => process.exit(1));
  });
  obs.attachServer(server, { format: openAiErrorFormat });
  server.listen({ port: config.port, host: config.host, backlog: 4096 }, () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    obs.logger.info('competitor listening', {
      target: 'lifecycle',
      url: `http://${config.host}:${port}`,
      port,
      competitor_id: config.competitorId,
      profile: config.profile.name,
      backend: config.backend,
    });
  });
  obs.handleSignals(server, {
    exit: (code) => {
      void competitor.close().finally(() => process.exit(code));
    },
  });
}

main();
