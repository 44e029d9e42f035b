import { createCompetitorApp } from './app';
import { CompetitorConfigError } from './config';

/** `npm run competitor`: one competitor on PORT, stopped gracefully by SIGTERM or SIGINT. */
function main(): void {
  let competitor;
  try {
    competitor = createCompetitorApp();
  } catch (error) {
    if (!(error instanceof CompetitorConfigError)) throw error;
    process.stderr.write(`${JSON.stringify({ level: 'error', message: error.message, target: 'config' })}\n`);
    process.exit(78);
  }
  const { app, obs, config, close } = competitor;
  const server = app.listen({ port: config.port, host: config.host, backlog: 4096 }, () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    obs.logger.info('competitor listening', {
      target: 'lifecycle',
      url: `http://${config.host}:${port}`,
      competitor_id: config.competitorId,
      profile: config.profile.name,
      backend: config.backend,
    });
  });
  obs.handleSignals(server, { exit: (code) => void close().finally(() => process.exit(code)) });
}

main();
