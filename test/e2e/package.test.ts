/**
 * sightline as a package, from outside the repository: `npm pack` of the current checkout
 * (copied, so the package is built from the sources alone, as in a fresh clone, and the
 * working tree's dist/ is left alone), installed with express into an app folder in the
 * system's temporary directory, then used the ways a user would: a CommonJS service, an ES
 * module service traced with `node --import sightline/register`, a node:test + supertest
 * suite on `sightline/testing`, and `tsc` with `nodenext` on a TypeScript file.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver';
import { ancestorsOf, describeTree, EXPRESS_SCOPE, HTTP_SCOPE, KIND_SERVER, parseTraceparent, SPAN_WAIT_MS } from '../support/spanTree';

// Packing builds the library and the installs come from the registry (or npm's cache).
jest.setTimeout(180_000);

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const REPO_PACKAGE = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const ADMIN_TOKEN = 'package-test-admin-token';
const START_TIMEOUT_MS = 20_000;
const NPM_INSTALL = ['install', '--no-audit', '--no-fund', '--prefer-offline'];

/** The environment without settings of sightline, OpenTelemetry or npm's own run (this test may run under `npx`). */
function cleanEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(OTEL_|OBS_|LOG_|npm_|NPM_)/i.test(key) || key === 'NODE_OPTIONS' || key === 'INIT_CWD') continue;
    env[key] = value;
  }
  // npm and the scripts it runs (the package's build) start from the pinned Node as well.
  env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`;
  return { ...env, ...extra };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnvironment()): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

async function runOk(command: string, args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<Run> {
  const result = await run(command, args, cwd, env);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${result.code}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`);
  }
  return result;
}

/** The checkout as git sees it (tracked and untracked files, not ignored ones), without build output or node_modules. */
async function copyCheckout(target: string): Promise<void> {
  const listed = await runOk('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], REPO_ROOT);
  for (const file of new Set(listed.stdout.split('\0').filter((f) => f !== ''))) {
    const from = path.join(REPO_ROOT, file);
    if (!fs.existsSync(from)) continue; // deleted in the working tree
    fs.mkdirSync(path.dirname(path.join(target, file)), { recursive: true });
    fs.copyFileSync(from, path.join(target, file));
  }
  // The build uses the repository's own toolchain (TypeScript, type packages).
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(target, 'node_modules'), 'dir');
}

/** The file paths in a `main`/`bin`/`exports` value: its strings, at any depth of conditions. */
function targetsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(targetsOf);
  return [];
}

interface PackResult {
  filename: string;
  files: { path: string }[];
}

// ---------------------------------------------------------------------------------------
// The user's files.

const CJS_SERVER = `
const express = require('express');
const { createObservability } = require('sightline');

const obs = createObservability({ service: 'cjs-app', version: '1.2.3' });
const app = express();
app.use(obs.middleware());
app.use(obs.routes());
app.get('/v1/orders/:id', (req, res) => {
  obs.logger.info('order loaded', { order: req.params.id });
  res.json({ id: req.params.id });
});
app.use(obs.notFound());
app.use(obs.errorHandler());
const server = app.listen(0, '127.0.0.1', () => process.stderr.write('LISTENING ' + server.address().port + '\\n'));
obs.handleSignals(server);
`;

const ESM_SERVER = `
import express from 'express';
import { createObservability } from 'sightline';

const obs = createObservability({ service: 'esm-app', version: '2.0.0' });
const app = express();
app.use(obs.middleware());
app.use(obs.routes());
app.get('/v1/items/:id', (req, res) => res.json({ id: req.params.id }));
app.use(obs.notFound());
app.use(obs.errorHandler());
const server = app.listen(0, '127.0.0.1', () => process.stderr.write('LISTENING ' + server.address().port + '\\n'));
obs.handleSignals(server);
`;

const USER_SUITE = `
import { test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { createObservability } from 'sightline';
import { captureLogs, assertTraceparent, metricValue } from 'sightline/testing';

test('an order answers with its ids, one access-log line and a counted request', async () => {
  const logs = captureLogs();
  const obs = createObservability({ service: 'orders', environment: {}, logger: { transports: [logs] } });
  const app = express();
  app.use(obs.middleware());
  app.get('/v1/orders/:id', (req, res) => res.json({ id: req.params.id }));
  try {
    const res = await request(app).get('/v1/orders/7').set('x-request-id', 'suite-req-1').expect(200);
    assert.equal(res.headers['x-request-id'], 'suite-req-1');
    const parent = assertTraceparent(res.headers.traceparent);
    const completed = logs.find('request completed', 'suite-req-1');
    assert.equal(completed.length, 1);
    assert.equal(completed[0].route, '/v1/orders/:id');
    assert.equal(completed[0].status, 200);
    assert.equal(completed[0].trace_id, parent.traceId);
    assert.equal(await metricValue(obs.metrics.registry, 'http_requests_total', { route: '/v1/orders/:id' }), 1);
  } finally {
    await obs.shutdown();
  }
});

test('assertTraceparent refuses what is not a W3C traceparent', () => {
  assert.throws(() => assertTraceparent('00-not-a-trace'), /traceparent/);
  assert.throws(() => assertTraceparent(undefined), /traceparent/);
});
`;

const TYPED_MODULE = `
import express from 'express';
import { createObservability, type Observability, type ObservabilityOptions, type SightlineLogger } from 'sightline';
import { captureLogs, assertTraceparent, metricValue, type LogCapture, type LogLine } from 'sightline/testing';
import 'sightline/register';
import { createTelemetry, type Telemetry } from 'sightline/core';

const logs: LogCapture = captureLogs();
const options: ObservabilityOptions = { service: 'typed', version: '1.0.0', environment: {}, logger: { transports: [logs] } };
const obs: Observability = createObservability(options);
const logger: SightlineLogger = obs.logger;
const app = express();
app.use(obs.middleware());
app.use(obs.routes());
app.get('/v1/items/:id', (req, res) => {
  logger.info('item read', { id: req.params.id });
  res.json({ id: req.params.id });
});
const line: LogLine | undefined = logs.find('request completed')[0];
const count: number | undefined = await metricValue(obs.metrics.registry, 'http_requests_total', { route: '/v1/items/:id' });
const traceId: string = assertTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01').traceId;
console.log(line?.message, count, traceId);

// The declarations are real types, not \`any\`: each of these must be an error.
// @ts-expect-error a misspelt option
createObservability({ servce: 'typo' });
// @ts-expect-error metricValue takes a registry
void metricValue('not a registry', 'http_requests_total');
// @ts-expect-error the logger has no such method
obs.logger.shout('hello');

// The core, without Express: the same telemetry, no middleware.
const telemetry: Telemetry = createTelemetry({ service: 'typed-core', environment: {} });
telemetry.logger.info('core line');
// @ts-expect-error the core has no Express middleware
telemetry.middleware();
`;

const TYPED_COMMONJS = `
import express = require('express');
import { createObservability, type Observability } from 'sightline';
import { captureLogs, type LogCapture } from 'sightline/testing';

const logs: LogCapture = captureLogs();
const obs: Observability = createObservability({ service: 'typed-cjs', environment: {}, logger: { transports: [logs] } });
const app = express();
app.use(obs.middleware());
// @ts-expect-error the observability instance has no such member
obs.middlewares();
export { app };
`;

const TSCONFIG = {
  compilerOptions: {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    types: ['node'],
  },
  files: ['typed.mts', 'typed.cts'],
};

// ---------------------------------------------------------------------------------------
// Running the user's services.

type LogLine = Record<string, unknown>;

interface Service {
  readonly url: string;
  readonly lines: LogLine[];
  stderr(): string;
  waitForLine(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
}

const running = new Set<ChildProcess>();

function startService(args: readonly string[], cwd: string, env: Record<string, string>): Promise<Service> {
  const child = spawn(process.execPath, args, { cwd, env: cleanEnvironment(env), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const lines: LogLine[] = [];
  let pending = '';
  let stderrText = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop()!;
    for (const part of parts) {
      try {
        const parsed: unknown = JSON.parse(part);
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) lines.push(parsed as LogLine);
      } catch {
        // not a log line
      }
    }
  });
  child.stderr!.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    const fail = (reason: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')}: ${reason}\n--- stderr ---\n${stderrText}`));
    };
    const timer = setTimeout(() => fail(`no LISTENING line within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    child.once('exit', (code, signal) => fail(`exited before listening (code ${code}, signal ${signal})`));
    child.stderr!.on('data', (chunk: string) => {
      stderrText += chunk;
      const match = /^LISTENING (\d+)$/m.exec(stderrText);
      if (match === null) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.once('exit', () => running.delete(child));
      resolve({
        url: `http://127.0.0.1:${match[1]}`,
        lines,
        stderr: () => stderrText,
        async waitForLine(predicate, timeoutMs = 5_000) {
          const deadline = Date.now() + timeoutMs;
          for (;;) {
            const found = lines.find(predicate);
            if (found !== undefined) return found;
            if (Date.now() >= deadline) {
              throw new Error(`log line not seen within ${timeoutMs} ms; got:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`);
            }
            await new Promise((r) => setTimeout(r, 20));
          }
        },
      });
    });
  });
}

async function stopAll(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** `node:http`, not `fetch`: a tracing test earlier in this jest worker may have patched undici. */
function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    })
      .on('error', reject)
      .end();
  });
}

// ---------------------------------------------------------------------------------------

let work: string;
let appDir: string;
let esmDir: string;
let packed: PackResult;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-package-'));
  const checkout = path.join(work, 'checkout');
  const packDir = path.join(work, 'pack');
  appDir = path.join(work, 'app');
  // The ES module app is a package of its own with its own Express, as when its version is
  // not the one sightline resolves: sightline's require('express') never reaches that copy,
  // only the ESM loader hook does.
  esmDir = path.join(appDir, 'esm-service');
  for (const dir of [checkout, packDir, esmDir]) fs.mkdirSync(dir, { recursive: true });

  await copyCheckout(checkout);
  const pack = await runOk('npm', ['pack', '--json', '--pack-destination', packDir], checkout);
  packed = (JSON.parse(pack.stdout) as PackResult[])[0]!;

  const dev = REPO_PACKAGE.devDependencies;
  const express = `express@${REPO_PACKAGE.dependencies.express}`;
  fs.writeFileSync(path.join(appDir, 'package.json'), JSON.stringify({ name: 'user-app', version: '1.0.0', private: true }));
  fs.writeFileSync(path.join(esmDir, 'package.json'), JSON.stringify({ name: 'esm-service', version: '1.0.0', private: true, type: 'module' }));
  await Promise.all([
    runOk(
      'npm',
      [
        ...NPM_INSTALL,
        path.join(packDir, packed.filename),
        express,
        `supertest@${dev.supertest}`,
        `typescript@${dev.typescript}`,
        `@types/express@${dev['@types/express']}`,
        `@types/node@${dev['@types/node']}`,
      ],
      appDir,
    ),
    runOk('npm', [...NPM_INSTALL, express], esmDir),
  ]);
  fs.writeFileSync(path.join(appDir, 'server.cjs'), CJS_SERVER);
  fs.writeFileSync(path.join(esmDir, 'server.js'), ESM_SERVER);
  fs.writeFileSync(path.join(appDir, 'orders.test.mjs'), USER_SUITE);
  fs.writeFileSync(path.join(appDir, 'typed.mts'), TYPED_MODULE);
  fs.writeFileSync(path.join(appDir, 'typed.cts'), TYPED_COMMONJS);
  fs.writeFileSync(path.join(appDir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
}, 150_000);

afterEach(async () => {
  await stopAll();
});

afterAll(async () => {
  await stopAll();
  if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
});

test('the tarball carries the built library and its declarations, and nothing else', () => {
  const files = packed.files.map((f) => f.path).sort();
  const stray = files.filter((f) => !/^(package\.json|README\.md|dist\/(src|middleware)\/.+\.(js|mjs|d\.ts|d\.mts))$/.test(f));
  expect(stray).toEqual([]);
  // Every entry point and its declarations, for both module systems of sightline/register.
  expect(files).toEqual(
    expect.arrayContaining([
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/testing/index.js',
      'dist/src/testing/index.d.ts',
      'dist/src/register.js',
      'dist/src/register.d.ts',
      'dist/src/register.mjs',
      'dist/src/register.d.mts',
      'dist/src/cli/sightline.js',
      'dist/middleware/index.js',
      'dist/middleware/index.d.ts',
    ]),
  );
  // Every file package.json points at (`main`, `types`, `bin`, each `exports` condition) is in it.
  const installed = JSON.parse(fs.readFileSync(path.join(appDir, 'node_modules', 'sightline', 'package.json'), 'utf8')) as Record<string, unknown>;
  const targets = [installed.main, installed.types, installed.bin, installed.exports].flatMap(targetsOf).map((t) => path.posix.normalize(t));
  expect(targets.length).toBeGreaterThan(10);
  expect(targets.filter((t) => !files.includes(t))).toEqual([]);
});

test('sightline/core serves a plain node:http service and loads no Express', async () => {
  const script = [
    "const { createTelemetry } = require('sightline/core');",
    "const telemetry = createTelemetry({ service: 'plain', environment: {} });",
    "telemetry.logger.info('plain line');",
    'const frameworks = Object.keys(require.cache).filter((file) => /[\\\\/]node_modules[\\\\/](express|helmet)[\\\\/]/.test(file));',
    'telemetry.shutdown().then(() => process.stderr.write(JSON.stringify(frameworks)));',
  ].join('\n');
  const { stdout, stderr } = await runOk(process.execPath, ['-e', script], appDir);
  expect(JSON.parse(stderr)).toEqual([]);
  expect(JSON.parse(stdout.trim())).toMatchObject({ message: 'plain line', service: 'plain', level: 'info' });
});

test('a CommonJS service: ids, trace context, JSON access log, /health and /metrics', async () => {
  const service = await startService(['server.cjs'], appDir, { OBS_ADMIN_TOKEN: ADMIN_TOKEN, OBS_SHUTDOWN_DRAIN_DELAY_MS: '0' });
  const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  const answer = await get(`${service.url}/v1/orders/42`, { 'x-request-id': 'pkg-cjs-1', traceparent: incoming });
  expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: '{"id":"42"}' });
  expect(answer.headers['x-request-id']).toBe('pkg-cjs-1');
  const answered = parseTraceparent(answer.headers.traceparent as string);
  expect(answered.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  expect(answered.parentId).not.toBe('00f067aa0ba902b7');

  const completed = await service.waitForLine((l) => l.message === 'request completed' && l.request_id === 'pkg-cjs-1');
  expect(completed).toMatchObject({
    level: 'info',
    service: 'cjs-app',
    version: '1.2.3',
    method: 'GET',
    route: '/v1/orders/:id',
    status: 200,
    trace_id: answered.traceId,
    span_id: answered.parentId,
    outcome: 'completed',
  });
  expect(service.lines.find((l) => l.message === 'order loaded')).toMatchObject({ request_id: 'pkg-cjs-1', order: '42', target: 'app' });

  const health = await get(`${service.url}/health`);
  expect(health.status).toBe(200);
  expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', service: 'cjs-app', version: '1.2.3' });

  expect((await get(`${service.url}/metrics`)).status).toBe(401);
  const metrics = await get(`${service.url}/metrics`, { authorization: `Bearer ${ADMIN_TOKEN}` });
  expect(metrics.status).toBe(200);
  expect(metrics.body).toMatch(/^http_requests_total\{[^}]*route="\/v1\/orders\/:id"[^}]*\} 1$/m);
});

test('an ES module service preloaded with --import sightline/register: its own Express is traced, spans named by route', async () => {
  const receiver: OtlpReceiver = await startOtlpReceiver();
  try {
    const service = await startService(['--import', 'sightline/register', 'server.js'], esmDir, {
      OBS_TRACING_ENABLED: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OBS_SHUTDOWN_DRAIN_DELAY_MS: '0',
    });
    const answer = await get(`${service.url}/v1/items/7`);
    expect(answer.status).toBe(200);
    const { traceId, parentId } = parseTraceparent(answer.headers.traceparent as string);

    const spans = await receiver.waitForSpans(
      (seen) => seen.some((s) => s.traceId === traceId && s.kind === KIND_SERVER) && seen.some((s) => s.traceId === traceId && s.scope === EXPRESS_SCOPE),
      SPAN_WAIT_MS,
    );
    const trace = spans.filter((s) => s.traceId === traceId);
    const tree = describeTree(trace);
    const server = trace.find((s) => s.kind === KIND_SERVER)!;
    expect({ name: server.name, route: server.attributes['http.route'], scope: server.scope, service: server.resource['service.name'], tree }).toEqual({
      name: 'GET /v1/items/:id',
      route: '/v1/items/:id',
      scope: HTTP_SCOPE,
      service: 'esm-app',
      tree,
    });
    expect(parentId).toBe(server.spanId);
    // Express's handler span: only there when the app's Express, loaded by the ESM loader, was patched.
    const handler = trace.find((s) => s.scope === EXPRESS_SCOPE)!;
    expect({ route: handler.attributes['http.route'], underServer: ancestorsOf(handler, trace).includes(server), tree }).toEqual({
      route: '/v1/items/:id',
      underServer: true,
      tree,
    });
    await service.waitForLine((l) => l.message === 'request completed' && l.route === '/v1/items/:id');
    expect(service.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([]);
  } finally {
    await stopAll();
    await receiver.close();
  }
});

test("a user's node:test + supertest suite on sightline/testing passes", async () => {
  const result = await run(process.execPath, ['--test', '--test-reporter=tap', 'orders.test.mjs'], appDir);
  const report = `exit ${result.code}\n${result.stdout}\n${result.stderr}`;
  expect({ code: result.code, pass: /^# pass 2$/m.test(result.stdout), fail: /^# fail 0$/m.test(result.stdout), report }).toEqual({
    code: 0,
    pass: true,
    fail: true,
    report,
  });
});

test('TypeScript with module and moduleResolution nodenext typechecks a service on sightline and sightline/testing', async () => {
  const tsc = path.join(appDir, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], appDir);
  expect({ code: result.code, output: result.stdout + result.stderr }).toEqual({ code: 0, output: '' });
});
