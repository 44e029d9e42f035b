import { z } from 'zod';
import { parseEventPattern } from './eventPattern';
import type { SightlineLogger } from './logger';
import { LOG_LEVEL_NAMES, type LogLevel } from './logLevels';
import { RESERVED_KEYS, reservedKeyPaths } from './reservedKeys';

/** What an operator may change at run time (`PUT /ops/config`), as it is answered and accepted. */
export interface RuntimeSettingsView {
  /** The logger's level: lines less severe than it are not written. Starts at `LOG_LEVEL` (default `info`). */
  readonly log_level: LogLevel;
  /**
   * Share of requests, 0 to 1, whose lines at `info` and below are kept; `warn` and above are
   * always kept. Decided once per request from its trace id, so a change applies to requests
   * that start after it. Starts at `LOG_SAMPLING_RATE_INFO` (default 1: every request).
   */
  readonly log_sampling_rate_info: number;
  /** Sampling rate of each telemetry event name or pattern (`pool.*`); unnamed events keep every one. */
  readonly event_sampling: Readonly<Record<string, number>>;
}

/** The event bus's side of the settings. */
export interface EventSamplingControl {
  samplingRates(): Readonly<Record<string, number>>;
  setSamplingRate(pattern: string, rate: number): void;
}

/** One setting a `PUT /ops/config` changed, as it is answered and logged. */
export interface SettingsChange {
  /** The setting's name as the patch gives it (`log_level`, `event_sampling.pool.*`, …). */
  readonly setting: string;
  /** Its value before the change; undefined when it had none. */
  readonly old: unknown;
  /** Its value now. */
  readonly new: unknown;
}

/**
 * What `update()` answers: with `ok` true, the changes made (settings given with their current
 * value are left out) and the settings now in effect; with `ok` false, every invalid field
 * with its message, and nothing was changed.
 */
export type SettingsUpdate =
  | { readonly ok: true; readonly changes: readonly SettingsChange[]; readonly settings: RuntimeSettingsView }
  | { readonly ok: false; readonly errors: readonly { readonly field: string; readonly message: string }[] };

/** The settings of one instance an operator may change while it runs (`obs.settings`, `/ops/config`). */
export interface RuntimeSettings {
  /** Read on every request: a plain property, not a call. */
  readonly logSamplingRateInfo: number;
  /** The settings in effect now, as `GET /ops/config` answers them; a fresh object on each call. */
  view(): RuntimeSettingsView;
  /** Validates the whole patch first: with any invalid value nothing changes. Every change is logged. */
  update(patch: unknown): SettingsUpdate;
}

export interface RuntimeSettingsOptions {
  readonly logger: SightlineLogger;
  readonly logSamplingRateInfo: number;
  readonly events?: EventSamplingControl;
}

const rate = z.number({ error: 'expected a number between 0 and 1' }).min(0, { error: 'expected a number between 0 and 1' }).max(1, {
  error: 'expected a number between 0 and 1',
});

const RESERVED_KEY_MESSAGE = `reserved key; ${RESERVED_KEYS.slice(0, -1).join(', ')} and ${RESERVED_KEYS.at(-1)} are refused`;

const PATCH = z.strictObject(
  {
    log_level: z.enum(LOG_LEVEL_NAMES, { error: `expected one of ${LOG_LEVEL_NAMES.join(', ')}` }),
    log_sampling_rate_info: rate,
    event_sampling: z.record(
      // The bus's own parser, so ops accepts exactly the patterns `setSamplingRate` does.
      z.string().refine((pattern) => parseEventPattern(pattern) !== undefined, {
        error: 'expected an event name or pattern such as pool.saturated, pool.* or *',
      }),
      rate,
    ),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown setting; known: log_level, log_sampling_rate_info, event_sampling` : 'expected a JSON object') },
).partial();

export function createRuntimeSettings(options: RuntimeSettingsOptions): RuntimeSettings {
  const { logger, events } = options;
  const settings = {
    logSamplingRateInfo: options.logSamplingRateInfo,
    view(): RuntimeSettingsView {
      return {
        log_level: logger.level as LogLevel,
        log_sampling_rate_info: settings.logSamplingRateInfo,
        event_sampling: { ...(events?.samplingRates() ?? {}) },
      };
    },
    update(patch: unknown): SettingsUpdate {
      const reserved = reservedKeyPaths(patch);
      if (reserved.length > 0) return { ok: false, errors: reserved.map((field) => ({ field, message: RESERVED_KEY_MESSAGE })) };
      const parsed = PATCH.safeParse(patch);
      if (!parsed.success) {
        return {
          ok: false,
          errors: parsed.error.issues.flatMap((issue) => {
            const path = issue.path.map(String).join('.');
            if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ field: key, message: issue.message }));
            // A record key's own problem is nested one level down.
            const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
            return [{ field: path === '' ? '(body)' : path, message }];
          }),
        };
      }
      if (parsed.data.event_sampling !== undefined && events === undefined) {
        return { ok: false, errors: [{ field: 'event_sampling', message: 'this instance has no event bus' }] };
      }
      const changes: SettingsChange[] = [];
      const { log_level: level, log_sampling_rate_info: samplingRate, event_sampling: eventSampling = {} } = parsed.data;
      if (level !== undefined && level !== logger.level) {
        changes.push({ setting: 'log_level', old: logger.level, new: level });
        logger.level = level;
      }
      if (samplingRate !== undefined && samplingRate !== settings.logSamplingRateInfo) {
        changes.push({ setting: 'log_sampling_rate_info', old: settings.logSamplingRateInfo, new: samplingRate });
        settings.logSamplingRateInfo = samplingRate;
      }
      const rates = events?.samplingRates() ?? {};
      for (const [pattern, eventRate] of Object.entries(eventSampling)) {
        const old = Object.hasOwn(rates, pattern) ? rates[pattern] : undefined;
        if (old === eventRate) continue;
        events?.setSamplingRate(pattern, eventRate);
        changes.push({ setting: `event_sampling.${pattern}`, old: old ?? 1, new: eventRate });
      }
      // Logged at warn so that a change to a quieter level is still written.
      for (const change of changes) logger.warn('setting changed at run time', { target: 'sightline', ...change });
      return { ok: true, changes, settings: settings.view() };
    },
  };
  return settings;
}
