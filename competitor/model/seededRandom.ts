import { createHash } from 'node:crypto';

/**
 * A deterministic generator of numbers in [0, 1) seeded by a string (mulberry32 over the
 * first four bytes of its SHA-256): the same prompt always draws the same answer.
 */
export function seededRandom(seed: string): () => number {
  let state = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return function nextRandom() {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
