import type { EventBusOptions } from './eventBusTypes';

/** The bus's numeric settings and its clock and dice, every one resolved. */
export type EventBusConfig = Required<Pick<EventBusOptions, 'maxQueue' | 'consumerTimeoutMs' | 'failureThreshold' | 'coolDownMs' | 'maxInFlight' | 'now' | 'random'>>;

const DEFAULTS: Readonly<EventBusConfig> = {
  maxQueue: 10_000,
  consumerTimeoutMs: 1000,
  failureThreshold: 5,
  coolDownMs: 30_000,
  maxInFlight: 100,
  now: Date.now,
  random: Math.random,
};

/** `options` over the defaults; a bad value throws, quoting it. */
export function resolveEventBusConfig(options: EventBusOptions): Readonly<EventBusConfig> {
  const config: Readonly<EventBusConfig> = { ...DEFAULTS, ...definedOnly(options) };
  checkPositiveInteger('maxQueue', config.maxQueue);
  checkPositiveInteger('failureThreshold', config.failureThreshold);
  checkPositiveInteger('maxInFlight', config.maxInFlight);
  checkTimeout('consumerTimeoutMs', config.consumerTimeoutMs);
  if (!(Number.isFinite(config.coolDownMs) && config.coolDownMs >= 0)) {
    throw new TypeError(`eventBus: coolDownMs must be a non-negative number of milliseconds, got ${String(config.coolDownMs)}`);
  }
  return config;
}

/** Throws unless `value` is a delay setTimeout honours; `name` says which setting it is. */
export function checkTimeout(name: string, value: unknown): void {
  // setTimeout treats more than 2^31-1 ms as 1 ms.
  if (typeof value !== 'number' || !(value >= 1 && value <= 2_147_483_647)) {
    throw new TypeError(`eventBus: ${name} must be a number of milliseconds from 1 to 2147483647, got ${String(value)}`);
  }
}

function checkPositiveInteger(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`eventBus: ${name} must be a positive integer, got ${String(value)}`);
  }
}

/** `{ ...DEFAULTS, ...options }` would let an explicit `undefined` erase a default. */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
