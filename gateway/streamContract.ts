import type { StreamFigures } from '../src';
import type { GatewayConfig } from './config';
import type { CONTRACT_KINDS } from './gatewayMetrics';

/** A promise of the stream contract: the first content in time (`ttft`), no silence too long (`gap`). */
export type ContractKind = (typeof CONTRACT_KINDS)[number];

/** The limits a stream is held to. */
export type ContractLimits = Pick<GatewayConfig, 'contractTtftMs' | 'contractGapMs'>;

/**
 * The promises a finished stream broke. A stream without any content broke the first-content
 * one if it completed all the same, or once it lasted past the limit before it ended.
 */
export function contractViolations(figures: StreamFigures, limits: ContractLimits): ContractKind[] {
  const violations: ContractKind[] = [];
  const { ttftMs } = figures;
  const lateFirstContent =
    ttftMs === undefined ? figures.outcome === 'completed' || figures.durationMs > limits.contractTtftMs : ttftMs > limits.contractTtftMs;
  if (lateFirstContent) violations.push('ttft');
  if (figures.maxGapMs > limits.contractGapMs) violations.push('gap');
  return violations;
}
