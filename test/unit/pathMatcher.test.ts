import { pathMatcher } from '../../src/pathMatcher';

describe('pathMatcher', () => {
  const matches = pathMatcher('test', ['/health', '/ops/']);

  it('matches a prefix on whole segments, ignoring the query', () => {
    expect(['/health', '/health/ready', '/health?full=1', '/ops/', '/ops/config'].filter(matches)).toEqual([
      '/health',
      '/health/ready',
      '/health?full=1',
      '/ops/',
      '/ops/config',
    ]);
    expect(['/healthz', '/v1/health', '/ops', '/', '/opsx/y'].filter(matches)).toEqual([]);
  });

  it('matches nothing without prefixes, and refuses a prefix without a leading slash', () => {
    expect(pathMatcher('test', [])('/health')).toBe(false);
    expect(() => pathMatcher('accessLog', ['health'])).toThrow("accessLog: excludePaths entries must start with '/'");
  });
});
