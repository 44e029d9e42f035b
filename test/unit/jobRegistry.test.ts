import { createJobRegistry } from '../../src/jobRegistry';
import { createMetrics } from '../../src/metrics';
import { metricValue } from '../../src/testing';

describe('createJobRegistry', () => {
  it('runs a registered job, reporting its output, and counts it by name and result', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const jobs = createJobRegistry({ metrics });
    jobs.register('rebuild-cache', () => ({ entries: 3 }), { description: 'rebuild the cache' });
    const run = await jobs.run('rebuild-cache');
    expect(run).toMatchObject({ status: 'succeeded', output: { entries: 3 } });
    expect(await metricValue(metrics.registry, 'sightline_job_runs_total', { job: 'rebuild-cache', result: 'succeeded' })).toBe(1);
    expect(await metricValue(metrics.registry, 'sightline_job_duration_seconds_count', { job: 'rebuild-cache' })).toBe(1);
    expect(jobs.list()).toEqual([
      expect.objectContaining({ name: 'rebuild-cache', description: 'rebuild the cache', running: false, last_result: 'succeeded' }),
    ]);
  });

  it('reports a job that throws or rejects as failed, and keeps working', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const jobs = createJobRegistry({ metrics });
    jobs.register('sync', () => {
      throw new Error('sync broke');
    });
    jobs.register('async', () => Promise.reject(new Error('async broke')));
    expect(await jobs.run('sync')).toMatchObject({ status: 'failed', error: expect.objectContaining({ message: 'sync broke' }) });
    expect(await jobs.run('async')).toMatchObject({ status: 'failed' });
    expect(await metricValue(metrics.registry, 'sightline_job_runs_total', { result: 'failed' })).toBe(2);
  });

  it('refuses a second run while one is in progress, and allows one after', async () => {
    const jobs = createJobRegistry();
    let release = (): void => undefined;
    jobs.register('slow', () => new Promise<void>((resolve) => (release = resolve)));
    const first = jobs.run('slow');
    expect(await jobs.run('slow')).toEqual({ status: 'already_running' });
    expect(jobs.list()[0]?.running).toBe(true);
    release();
    expect((await first).status).toBe('succeeded');
    const again = jobs.run('slow');
    release();
    expect((await again).status).toBe('succeeded');
  });

  it('answers unknown for a job never registered, without counting it', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const jobs = createJobRegistry({ metrics });
    expect(await jobs.run('nope')).toEqual({ status: 'unknown' });
    expect(await metricValue(metrics.registry, 'sightline_job_runs_total')).toBe(0);
  });

  it('rejects bad names and duplicates at registration', () => {
    const jobs = createJobRegistry();
    expect(() => jobs.register('Bad Name', () => undefined)).toThrow(/name must be/);
    expect(() => jobs.register('x'.repeat(65), () => undefined)).toThrow(/name must be/);
    jobs.register('once', () => undefined);
    expect(() => jobs.register('once', () => undefined)).toThrow(/already registered/);
  });
});
