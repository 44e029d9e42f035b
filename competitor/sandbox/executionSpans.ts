import { context as otelContext, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';

/**
 * The two spans of one execution: `sandbox.exec` (the whole call, the child's parent span)
 * and `sandbox.spawn` inside it (until the process started). Each ends once; ending again,
 * or marking an ended span, does nothing.
 */
export class ExecutionSpans {
  /** The active context with `sandbox.exec` as its span: the child's trace context is read in it. */
  readonly execContext: Context;
  readonly #tracer: Tracer;
  readonly #attributes: Attributes;
  #exec: Span | undefined;
  #spawn: Span | undefined;

  /** Starts `sandbox.exec` under the active span. */
  constructor(tracer: Tracer, attributes: Attributes) {
    this.#tracer = tracer;
    this.#attributes = attributes;
    const exec = tracer.startSpan('sandbox.exec', { attributes }, otelContext.active());
    this.#exec = exec;
    this.execContext = trace.setSpan(otelContext.active(), exec);
  }

  startSpawn(): void {
    this.#spawn = this.#tracer.startSpan('sandbox.spawn', { attributes: this.#attributes }, this.execContext);
  }

  setPid(pid: number): void {
    this.#spawn?.setAttribute('process.pid', pid);
    this.#exec?.setAttribute('process.pid', pid);
  }

  endSpawn(errorType?: string): void {
    const span = this.#spawn;
    if (span === undefined) return;
    this.#spawn = undefined;
    if (errorType !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
    span.end();
  }

  endExec(errorType?: string): void {
    const span = this.#exec;
    if (span === undefined) return;
    this.#exec = undefined;
    if (errorType !== undefined) {
      span.setAttribute('sandbox.error_type', errorType);
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
    }
    span.end();
  }
}
