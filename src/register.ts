/**
 * Preload entry: `node -r sightline/register app.js` (or `--require`). It patches `http`,
 * Express and `fetch` for OpenTelemetry before the app loads them; nothing is traced until
 * `createObservability()` starts tracing (`OBS_TRACING_ENABLED=true`), and nothing is
 * patched at all when tracing is not switched on in the environment, or when a preload of
 * the service's own registered a tracer provider first (sightline then joins it).
 */
import { loadConfig } from './config';
import { instrumentProcess } from './instrumentation';
import { foreignTracerProviderRegistered } from './tracing';

if (loadConfig(process.env).config.tracingEnabled && !foreignTracerProviderRegistered()) instrumentProcess();
