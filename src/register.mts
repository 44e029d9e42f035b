/**
 * Preload entry for ES-module apps: `node --import sightline/register app.mjs`. It does
 * what `sightline/register` does for CommonJS (src/register.ts), and when that patched the
 * process it also registers OpenTelemetry's ESM loader hook, through which instrumentation
 * sees the modules the app imports (Express, loaded by the ESM loader, is invisible to
 * require-in-the-middle). `--import` runs this before the app's first import is resolved.
 */
import { createRequire, register } from 'node:module';

const require = createRequire(import.meta.url);
const { instrumented } = require('./register.js') as typeof import('./register.js');

if (instrumented) register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
