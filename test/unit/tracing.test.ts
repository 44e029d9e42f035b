import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { foreignTracerProviderRegistered, startTracing, tracingRuntime } from '../../src/tracing';
import { loadTracingConfig } from '../../src/tracingConfig';

const identity = { service: 'unit-svc', version: '1.2.3', env: 'test' };
const config = loadTracingConfig({}).config;

afterEach(() => {
  // OpenTelemetry's globals and sightline's runtime are per process (per test file under jest).
  delete (globalThis as Record<symbol, unknown>)[Symbol.for('sightline.tracingRuntime')];
  trace.disable();
  context.disable();
  propagation.disable();
});

describe('startTracing', () => {
  test('owns tracing when nothing is registered: provider, context manager and W3C propagator', async () => {
    expect(foreignTracerProviderRegistered()).toBe(false);
    const exporter = new InMemorySpanExporter();
    const runtime = startTracing({ identity, config, spanProcessor: new SimpleSpanProcessor({ exporter }) });
    expect(runtime.mode).toBe('owned');
    expect(startTracing({ identity, config })).toBe(runtime);
    expect(tracingRuntime()).toBe(runtime);
    // Once sightline owns the provider, it is not "foreign".
    expect(foreignTracerProviderRegistered()).toBe(false);

    const span = runtime.tracer('unit').startSpan('work');
    const carrier: Record<string, string> = {};
    await context.with(trace.setSpan(ROOT_CONTEXT, span), async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      // The context manager carried the span across the timer.
      expect(trace.getActiveSpan()).toBe(span);
      propagation.inject(context.active(), carrier);
    });
    span.end();
    expect(carrier.traceparent).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
    const [finished] = exporter.getFinishedSpans();
    expect(finished?.resource.attributes).toMatchObject({
      'service.name': 'unit-svc',
      'service.version': '1.2.3',
      'deployment.environment.name': 'test',
    });
  });

  test("joins a provider the service registered first: no provider of its own, spans go to the service's", async () => {
    const exporter = new InMemorySpanExporter();
    const servicesProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    trace.setGlobalTracerProvider(servicesProvider);
    expect(foreignTracerProviderRegistered()).toBe(true);

    const ownExporter = new InMemorySpanExporter();
    const runtime = startTracing({ identity, config, spanProcessor: new SimpleSpanProcessor({ exporter: ownExporter }) });
    expect(runtime).toMatchObject({ mode: 'joined', provider: undefined });
    runtime.tracer('unit').startSpan('joined work').end();
    await runtime.forceFlush();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['joined work']);
    expect(ownExporter.getFinishedSpans()).toEqual([]);
  });
});
