import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createEventLoopLag } from '../../src/eventLoopLag';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function blockLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // Busy on purpose: nothing else may run.
  }
}

describe('event loop lag', () => {
  it('stays near zero on an idle loop', async () => {
    const lag = createEventLoopLag({ resolutionMs: 10 });
    lag.start();
    try {
      await sleep(100);
      expect(lag.lagMs()).toBeLessThan(50);
    } finally {
      lag.stop();
    }
  });

  it('sees a block at once, before its own timer has run, and remembers it for the window', async () => {
    const lag = createEventLoopLag({ resolutionMs: 10, windowMs: 1000 });
    lag.start();
    try {
      await sleep(30);
      blockLoop(300);
      expect(lag.lagMs()).toBeGreaterThanOrEqual(250);
      await sleep(100);
      expect(lag.lagMs()).toBeGreaterThanOrEqual(250);
    } finally {
      lag.stop();
    }
  });

  it('forgets a block once two windows have passed', async () => {
    const lag = createEventLoopLag({ resolutionMs: 10, windowMs: 100 });
    lag.start();
    try {
      blockLoop(150);
      await sleep(0);
      expect(lag.lagMs()).toBeGreaterThanOrEqual(100);
      await sleep(350);
      expect(lag.lagMs()).toBeLessThan(100);
    } finally {
      lag.stop();
    }
  });

  it('answers 0 when stopped; start and stop are idempotent', () => {
    const lag = createEventLoopLag();
    lag.start();
    lag.start();
    lag.stop();
    lag.stop();
    blockLoop(50);
    expect(lag.lagMs()).toBe(0);
  });

  it('never keeps the process alive', async () => {
    const script =
      "const { createEventLoopLag } = require('./src/eventLoopLag');" +
      'const lag = createEventLoopLag({ resolutionMs: 5 }); lag.start();' +
      "setTimeout(() => console.log('lag', lag.lagMs() >= 0), 50);";
    const { stdout } = await promisify(execFile)(process.execPath, ['-r', 'ts-node/register', '-e', script], {
      cwd: join(__dirname, '..', '..'),
      timeout: 10_000,
    });
    expect(stdout.trim()).toBe('lag true');
  });

  it('rejects bad options, quoting the value', () => {
    expect(() => createEventLoopLag({ resolutionMs: 0 })).toThrow(/resolutionMs must be .* got 0/);
    expect(() => createEventLoopLag({ resolutionMs: 50, windowMs: 10 })).toThrow(/windowMs \(10\) must be at least resolutionMs \(50\)/);
  });
});
