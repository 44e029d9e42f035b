import express, { type Express, type Request, type Response } from 'express';
import {
  createObservability,
  openAiErrorFormat,
  RequestError,
  type Observability,
  type ObservabilityLoggerOptions,
} from '../middleware';
import { chatRequestSchema, describeProblem } from './chatRequest';
import type { CompletionBackend } from './completionBackend';
import { loadCompetitorConfig, type CompetitorConfig } from './config';
import { createCompetitorMetricSet } from './competitorMetricSet';
import { openAiBackend } from './openAiBackend';
import { createSandboxPool, type SandboxCommand, type SandboxPool } from './sandbox/pool';
import { createSessionStore, isValidSessionId, type SessionStore } from './sessions';
import { simulatedBackend } from './simulatedCompletion';

export interface CompetitorAppOptions {
  /** Variables to read settings from (the competitor's and sightline's). Default `process.env`. */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  readonly logger?: ObservabilityLoggerOptions;
  /** Replaces the sandbox child program (tests run misbehaving ones). */
  readonly sandboxCommand?: SandboxCommand;
  /** Where the sandbox children's JSON log lines go, unchanged. Default: this process's stdout. */
  readonly childLog?: (line: string) => void;
}

export interface CompetitorApp {
  readonly app: Express;
  readonly obs: Observability;
  readonly config: CompetitorConfig;
  readonly pool: SandboxPool;
  readonly sessions: SessionStore;
  /** Stops the pool's children and the session cleanup, and flushes telemetry. Idempotent. */
  close(): Promise<void>;
}

const BODY_LIMIT = '1mb';
const SESSION_HEADER = 'x-session-id';

/**
 * The reference competitor: an OpenAI-compatible model service (simulated, or a real
 * upstream) that runs tool calls in a pool of sandbox child processes, observed by sightline.
 */
export function createCompetitorApp(options: CompetitorAppOptions = {}): CompetitorApp {
  const environment = options.environment ?? process.env;
  const config = loadCompetitorConfig(environment);
  const obs = createObservability({
    // An empty OTEL_SERVICE_NAME means unset, as OpenTelemetry reads it.
    service: environment.OTEL_SERVICE_NAME || `competitor-${config.competitorId}`,
    environment,
    logger: options.logger,
  });
  const pool = createObservedSandbox(config, obs, options);
  const sessions = createSessionStore({
    ttlMs: config.sessionTtlMs,
    cleanupIntervalMs: config.sessionCleanupIntervalMs,
    events: obs.events,
  });
  const backend = chooseBackend(config, obs, pool);

  const app = express();
  app.disable('x-powered-by');
  app.use(obs.middleware());
  app.use(obs.routes());
  app.get('/v1/models', (_req, res) => {
    res.json({
      object: 'list',
      data: [{ id: config.competitorId, object: 'model', created: 0, owned_by: 'sightline-competitor', profile: config.profile.name }],
    });
  });
  app.post('/v1/chat/completions', express.json({ limit: BODY_LIMIT }), chatCompletions(config, obs, sessions, backend));
  app.use(obs.notFound({ format: openAiErrorFormat }));
  app.use(obs.errorHandler({ format: openAiErrorFormat }));

  let closing: Promise<void> | undefined;
  return {
    app,
    obs,
    config,
    pool,
    sessions,
    close() {
      closing ??= (async () => {
        sessions.close();
        await pool.close();
        await obs.shutdown();
      })();
      return closing;
    },
  };
}

/**
 * The sandbox pool, with its stats on the health pools, a critical health check (down while
 * crashed or while every slot backs off) and the `sandbox-reset` job that leaves the crashed state.
 */
function createObservedSandbox(config: CompetitorConfig, obs: Observability, options: CompetitorAppOptions): SandboxPool {
  const childLog = options.childLog ?? ((line: string) => process.stdout.write(`${line}\n`));
  const pool = createSandboxPool({
    size: config.sandbox.size,
    queueMax: config.sandbox.queueMax,
    queueTimeoutMs: config.sandbox.queueTimeoutMs,
    callTimeoutMs: config.sandbox.callTimeoutMs,
    crashStorm: { count: config.sandbox.crashStormCount, windowMs: config.sandbox.crashStormWindowMs },
    command: options.sandboxCommand,
    events: obs.events,
    tracer: obs.tracer,
    metrics: obs.metrics,
    logger: obs.logger,
    childEnv: () => obs.childProcessEnv(),
    onChildLog: childLog,
  });
  obs.health.registerPool('sandbox', () => ({ ...pool.stats() }));
  obs.health.register(
    'sandbox',
    async () => {
      const stats = pool.stats();
      if (stats.state !== 'running') return { ok: false, message: `sandbox pool is ${stats.state}; reset it with POST /ops/jobs/sandbox-reset` };
      if (stats.backoff >= stats.total) return { ok: false, message: 'every sandbox slot is backing off after a crash' };
      return { ok: true, observed: stats.available };
    },
    { critical: true, timeoutMs: 100 },
  );
  obs.jobs.register(
    'sandbox-reset',
    () => {
      const wasCrashed = pool.reset();
      return { was_crashed: wasCrashed, stats: pool.stats() };
    },
    { description: 'Leave the crashed state of the sandbox pool after a crash storm, so it spawns again.' },
  );
  return pool;
}

/** A real upstream when one is configured for the `openai` backend, else the simulated model on the sandbox pool. */
function chooseBackend(config: CompetitorConfig, obs: Observability, pool: SandboxPool): CompletionBackend {
  const metrics = createCompetitorMetricSet(obs.metrics);
  return config.backend === 'openai' && config.upstreamUrl !== undefined
    ? openAiBackend({
        obs,
        upstreamUrl: config.upstreamUrl,
        apiKey: config.upstreamApiKey,
        model: config.upstreamModel,
        keepaliveIntervalMs: config.keepaliveIntervalMs,
        metrics,
      })
    : simulatedBackend({ obs, profile: config.profile, tools: pool, keepaliveIntervalMs: config.keepaliveIntervalMs, metrics });
}

/**
 * `POST /v1/chat/completions`: the request validated (and, simulated, its model checked), its
 * session tracked, then answered by the backend, which stops waiting when the client leaves.
 */
function chatCompletions(
  config: CompetitorConfig,
  obs: Observability,
  sessions: SessionStore,
  backend: CompletionBackend,
): (req: Request, res: Response) => Promise<void> {
  return async function chatCompletionsRoute(req: Request, res: Response): Promise<void> {
    const parsed = chatRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      const problem = describeProblem(parsed.error);
      throw new RequestError(400, problem.message, { param: problem.param, reason: 'invalid_request' });
    }
    const request = parsed.data;
    if (config.backend === 'simulated' && request.model !== config.competitorId) {
      throw new RequestError(404, `The model ${JSON.stringify(request.model.slice(0, 100))} does not exist; this competitor serves ${JSON.stringify(config.competitorId)}`, {
        param: 'model',
        reason: 'model_not_found',
      });
    }
    trackSession(req, res, obs, sessions);
    obs.context.set('competitor_id', config.competitorId);
    const clientLeft = new AbortController();
    res.once('close', () => {
      if (!res.writableEnded) clientLeft.abort(new Error('client closed the connection'));
    });
    try {
      await backend(req, res, request, clientLeft.signal);
    } catch (error) {
      // Waiting on the model stopped because the client left: its request line says client_aborted.
      if (clientLeft.signal.aborted) return;
      throw error;
    }
  };
}

/** The `x-session-id` header, when sent: validated, touched in the store, noted on the request's context and echoed. */
function trackSession(req: Request, res: Response, obs: Observability, sessions: SessionStore): void {
  const id = req.get(SESSION_HEADER);
  if (id === undefined) return;
  if (!isValidSessionId(id)) {
    throw new RequestError(400, `${SESSION_HEADER} must be 1-128 letters, digits, '.', '_', ':' or '-'`, { param: SESSION_HEADER, reason: 'invalid_session_id' });
  }
  const { session, created } = sessions.touch(id);
  obs.context.set('session_ref', session.ref);
  obs.context.set('session_turn', session.turns);
  if (created) obs.logger.info('session created', { target: 'session', session_ref: session.ref });
  res.setHeader(SESSION_HEADER, session.id);
}
