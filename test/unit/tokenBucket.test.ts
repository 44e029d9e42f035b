import { createTokenBucket } from '../../src/tokenBucket';

function takes(bucket: ReturnType<typeof createTokenBucket>, tries: number): number {
  let taken = 0;
  for (let i = 0; i < tries; i += 1) if (bucket.take()) taken += 1;
  return taken;
}

describe('createTokenBucket', () => {
  it('starts full with a second of tokens and refills in proportion to the time passed', () => {
    let time = 1_000_000;
    const bucket = createTokenBucket(10, () => time);
    expect(takes(bucket, 15)).toBe(10);
    time += 250;
    expect(takes(bucket, 15)).toBe(2);
    time += 10_000;
    expect(takes(bucket, 15)).toBe(10);
  });

  it('holds at least one token, so a limit under one a second still lets an event through now and then', () => {
    let time = 0;
    const bucket = createTokenBucket(0.5, () => time);
    expect(takes(bucket, 3)).toBe(1);
    time += 1000;
    expect(bucket.take()).toBe(false);
    time += 1000;
    expect(bucket.take()).toBe(true);
  });

  it('ignores a clock that goes backwards', () => {
    let time = 5000;
    const bucket = createTokenBucket(1, () => time);
    expect(bucket.take()).toBe(true);
    time = 0;
    expect(bucket.take()).toBe(false);
    time = 1000;
    expect(bucket.take()).toBe(true);
  });
});
