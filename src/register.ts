/**
 * Preload entry: `node -r sightline/register app.js` (or `--require`). It patches `http`,
 * Express and `fetch` for OpenTelemetry before the app loads them; nothing is traced until
 * `createObservability()` starts tracing (`OBS_TRACING_ENABLED=true`), and nothing is
 * patched at all when tracing is not switched on in the environment.
 */
import { loadConfig } from './config';
import { instrumentProcess } from './instrumentation';

if (loadConfig(process.env).config.tracingEnabled) instrumentProcess();
