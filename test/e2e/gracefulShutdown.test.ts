import { startService, stopAllServices } from '../support/childService';

jest.setTimeout(30_000);

afterEach(stopAllServices);

/** Reads an SSE response, resolving with its data lines once it ends (or failing when it is cut). */
async function readStream(url: string, onFirstEvent: () => void): Promise<string[]> {
  const response = await fetch(url);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let first = true;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (first && text.includes('data:')) {
      first = false;
      onFirstEvent();
    }
  }
  return text.split('\n').filter((line) => line.startsWith('data:'));
}

describe('SIGTERM in a real process (obs.handleSignals)', () => {
  it('turns readiness 503, lets the open stream finish, refuses new connections, flushes its logs and exits 0', async () => {
    const service = await startService({
      name: 'draining',
      fixture: 'drainingService.ts',
      preload: false,
      env: { OBS_TRACING_ENABLED: 'false', EVENTS: '10', INTERVAL_MS: '100', DRAIN_DELAY_MS: '300', GRACE_PERIOD_MS: '5000' },
    });
    expect((await fetch(`${service.url}/health/ready`)).status).toBe(200);

    let signalledAt = 0;
    let readinessWhileDraining: Promise<number> | undefined;
    const events = await readStream(`${service.url}/v1/stream`, () => {
      signalledAt = Date.now();
      service.kill('SIGTERM');
      readinessWhileDraining = new Promise((resolve) => setTimeout(resolve, 50)).then(() =>
        fetch(`${service.url}/health/ready`).then((response) => response.status),
      );
    });
    expect(events).toHaveLength(11);
    expect(events.at(-1)).toBe('data: [DONE]');

    const exit = await service.exited();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(5_000);
    expect(await readinessWhileDraining).toBe(503);
    await expect(fetch(`${service.url}/health`)).rejects.toThrow();

    const lines = service.logLines();
    const messages = lines.map((line) => line.message);
    expect(messages).toContain('shutdown started');
    expect(lines.find((line) => line.message === 'shutdown finished')).toMatchObject({ in_grace_period: true });
    const stream = lines.find((line) => line.message === 'request completed' && line.route === '/v1/stream');
    expect(stream).toMatchObject({ status: 200, outcome: 'completed', events: 11 });
  });

  it('cuts a stream that outlives the grace period, and still exits 0 within it', async () => {
    const service = await startService({
      name: 'draining-slow',
      fixture: 'drainingService.ts',
      preload: false,
      env: { OBS_TRACING_ENABLED: 'false', EVENTS: '1000', INTERVAL_MS: '50', DRAIN_DELAY_MS: '100', GRACE_PERIOD_MS: '500' },
    });
    let signalledAt = 0;
    const reading = readStream(`${service.url}/v1/stream`, () => {
      signalledAt = Date.now();
      service.kill('SIGTERM');
    }).catch((error: unknown) => error);
    const exit = await service.exited();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(3_000);
    await reading;
    const lines = service.logLines();
    expect(lines.find((line) => line.message === 'grace period over, closing the remaining connections')).toBeDefined();
    expect(lines.find((line) => line.message === 'request completed' && line.route === '/v1/stream')).toMatchObject({
      outcome: 'client_aborted',
    });
  });
});
