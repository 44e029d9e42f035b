import { createEventPolicy, type EventPolicyOptions } from '../../src/eventPolicy';

function policyWith(options: Partial<EventPolicyOptions> = {}) {
  return createEventPolicy({ sampling: {}, rateLimits: {}, now: () => 0, random: () => 0.5, ...options });
}

describe('createEventPolicy', () => {
  it('has no rules for what is not an event name', () => {
    const policy = policyWith();
    for (const name of ['Pool.started', 'pool..x', 'pool.*', '', 'x'.repeat(200)]) expect(policy.rulesFor(name)).toBeUndefined();
    expect(policy.rulesFor('pool.started')).toEqual({ samplingRate: 1, bucket: undefined });
  });

  it('samples by the most specific rate, drawing from random() only for rates below 1', () => {
    let draws = 0;
    const random = (): number => {
      draws += 1;
      return 0.3;
    };
    const policy = policyWith({ sampling: { 'pool.*': 0.25, 'pool.saturated': 1 }, random });
    const saturated = policy.rulesFor('pool.saturated')!;
    const started = policy.rulesFor('pool.started')!;
    expect(policy.refusal(saturated)).toBeUndefined();
    expect(draws).toBe(0);
    expect(policy.refusal(started)).toBe('sampling');
    expect(draws).toBe(1);
  });

  it('shares a pattern limit between the names it matches and takes no token for a sampled-out event', () => {
    const policy = policyWith({ rateLimits: { 'request.*': 2 }, sampling: { 'request.debug': 0 } });
    const started = policy.rulesFor('request.started')!;
    const completed = policy.rulesFor('request.completed')!;
    const debug = policy.rulesFor('request.debug')!;
    expect(policy.refusal(debug)).toBe('sampling');
    expect([policy.refusal(started), policy.refusal(completed), policy.refusal(started)]).toEqual([undefined, undefined, 'rate_limit']);
  });

  it('applies a rate set at run time to names already seen, and reports it', () => {
    const policy = policyWith({ sampling: { 'pool.*': 1 } });
    expect(policy.rulesFor('pool.started')?.samplingRate).toBe(1);
    policy.setSamplingRate('pool.*', 0);
    expect(policy.rulesFor('pool.started')?.samplingRate).toBe(0);
    expect(policy.samplingRates()).toEqual({ 'pool.*': 0 });
  });

  it('refuses bad rates and limits, quoting them', () => {
    expect(() => policyWith({ sampling: { 'pool.*': -1 } })).toThrow(/sampling rate of "pool\.\*" must be a number from 0 to 1, got -1/);
    expect(() => policyWith({ rateLimits: { 'pool.*': Infinity } })).toThrow(/rate limit of "pool\.\*" must be a positive number of events per second, got Infinity/);
    expect(() => policyWith({ rateLimits: { 'Pool.*': 1 } })).toThrow(/eventBus rateLimits: "Pool\.\*" is not an event name or pattern/);
    const policy = policyWith({ sampling: { 'pool.*': 0.5 } });
    expect(() => policy.setSamplingRate('pool.*', 1.5)).toThrow(/got 1\.5/);
    expect(policy.samplingRates()).toEqual({ 'pool.*': 0.5 });
  });
});
