import { isTraceSampled } from '../../src/sampling';
import { randomTraceId } from '../../src/w3cTraceContext';

describe('isTraceSampled', () => {
  it('keeps everything at rate 1 and nothing at rate 0', () => {
    const id = randomTraceId();
    expect(isTraceSampled(id, 1)).toBe(true);
    expect(isTraceSampled(id, 0)).toBe(false);
  });

  it('gives the same answer for the same trace id every time', () => {
    for (let i = 0; i < 100; i += 1) {
      const id = randomTraceId();
      expect(isTraceSampled(id, 0.3)).toBe(isTraceSampled(id, 0.3));
    }
  });

  it('decides from the trace id low bits, so a lower rate keeps a subset of a higher one', () => {
    expect(isTraceSampled('4bf92f3577b34da6a3ce929d00000000', 0.01)).toBe(true);
    expect(isTraceSampled('4bf92f3577b34da6a3ce929dffffffff', 0.99)).toBe(false);
    for (let i = 0; i < 1000; i += 1) {
      const id = randomTraceId();
      if (isTraceSampled(id, 0.1)) expect(isTraceSampled(id, 0.5)).toBe(true);
    }
  });

  it('keeps close to the configured share of 20,000 random traces', () => {
    for (const rate of [0.01, 0.1, 0.5, 0.9]) {
      let kept = 0;
      for (let i = 0; i < 20_000; i += 1) if (isTraceSampled(randomTraceId(), rate)) kept += 1;
      // Binomial: 5 standard deviations either side.
      const sd = Math.sqrt(20_000 * rate * (1 - rate));
      expect(Math.abs(kept - 20_000 * rate)).toBeLessThan(5 * sd);
    }
  });

  it('keeps lines whose trace id is not usable hex', () => {
    expect(isTraceSampled('', 0.1)).toBe(true);
    expect(isTraceSampled('zzzzzzzzzzzzzzzz', 0.1)).toBe(true);
  });
});
