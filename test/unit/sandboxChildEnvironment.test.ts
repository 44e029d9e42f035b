import { context as otelContext } from '@opentelemetry/api';
import { createChildEnvironment, inheritedEnvironment } from '../../competitor/sandbox/childEnvironment';
import { captureLogs } from '../../src/testing';
import { createObservability } from '../../middleware';

describe('inheritedEnvironment', () => {
  it('keeps what a Node program needs and drops secrets, even under an inherited prefix', () => {
    expect(
      inheritedEnvironment({
        PATH: '/bin',
        HOME: '/home/x',
        LC_ALL: 'C',
        NODE_OPTIONS: '--enable-source-maps',
        NODE_AUTH_TOKEN: 'npm-secret',
        CHUTES_API_KEY: 'cpk_secret',
        OBS_ADMIN_TOKEN: 'admin',
        UNRELATED: 'x',
        TZ: undefined,
      }),
    ).toEqual({ PATH: '/bin', HOME: '/home/x', LC_ALL: 'C', NODE_OPTIONS: '--enable-source-maps' });
  });
});

describe('createChildEnvironment', () => {
  it("adds the command's variables over the inherited ones, and the trace variables over both", () => {
    const logs = captureLogs();
    const { logger } = createObservability({ environment: {}, metrics: { processMetrics: false }, logger: { transports: [logs] } });
    const environmentFor = createChildEnvironment({
      environment: { PATH: '/bin', SECRET_TOKEN: 'x' },
      command: { file: 'node', args: [], env: { TS_NODE_PROJECT: '/tsconfig.json', PATH: '/command/bin' } },
      traceVariables: () => ({ TRACEPARENT: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', TS_NODE_PROJECT: 'traced' }),
      logger,
      pool: 'sandbox',
    });
    expect(environmentFor(otelContext.active(), 'call-1')).toEqual({
      PATH: '/command/bin',
      TS_NODE_PROJECT: 'traced',
      TRACEPARENT: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
  });

  it('runs the child untraced, with a warning, when the trace variables throw', () => {
    const logs = captureLogs();
    const { logger } = createObservability({ environment: {}, metrics: { processMetrics: false }, logger: { transports: [logs] } });
    const environmentFor = createChildEnvironment({
      environment: { PATH: '/bin' },
      command: { file: 'node', args: [] },
      traceVariables: () => {
        throw new Error('no tracer');
      },
      logger,
      pool: 'sandbox',
    });
    expect(environmentFor(otelContext.active(), 'call-2')).toEqual({ PATH: '/bin' });
    expect(logs.find('sandbox child trace context unavailable')).toEqual([expect.objectContaining({ level: 'warn', pool: 'sandbox', call_id: 'call-2' })]);
  });
});
