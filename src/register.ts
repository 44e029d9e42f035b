/**
 * Preload entry: `node -r sightline/register app.js` (or `--require`). It patches `http`,
 * Express and `fetch` for OpenTelemetry before the app loads them; nothing is traced until
 * `createObservability()` starts tracing (`OBS_TRACING_ENABLED=true`), and nothing is
 * patched at all when tracing is not switched on in the environment, or when a preload of
 * the service's own registered a tracer provider first (sightline then joins it). ES-module
 * apps use `node --import sightline/register`, which loads src/register.mts.
 */
import { loadConfig } from './config';
import { instrumentProcess } from './instrumentation';
import { foreignTracerProviderRegistered } from './tracing';

/** Whether this preload patched the process (src/register.mts then adds the ESM loader hook). */
export const instrumented = loadConfig(process.env).config.tracingEnabled && !foreignTracerProviderRegistered();

if (instrumented) instrumentProcess();
