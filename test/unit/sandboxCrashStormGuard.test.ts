import { CrashStormGuard } from '../../competitor/sandbox/crashStormGuard';

describe('CrashStormGuard', () => {
  it('trips once on the crash that makes count within the window, and only counts crashes still in it', () => {
    let clock = 0;
    const guard = new CrashStormGuard({ count: 3, windowMs: 100 }, () => clock);
    expect(guard.record()).toBe(false);
    clock = 150;
    expect(guard.record()).toBe(false);
    clock = 200;
    expect(guard.record()).toBe(false);
    expect(guard.inWindow()).toBe(2);
    clock = 240;
    expect(guard.record()).toBe(true);
    expect(guard.tripped).toBe(true);
    clock = 245;
    expect(guard.record()).toBe(false);
    expect({ total: guard.total, inWindow: guard.inWindow() }).toEqual({ total: 5, inWindow: 4 });
  });

  it('reset() forgets the window and untrips; it is false when the guard had not tripped', () => {
    const guard = new CrashStormGuard({ count: 1, windowMs: 1000 }, () => 0);
    expect(guard.reset()).toBe(false);
    expect(guard.record()).toBe(true);
    expect(guard.reset()).toBe(true);
    expect({ tripped: guard.tripped, inWindow: guard.inWindow(), total: guard.total }).toEqual({ tripped: false, inWindow: 0, total: 1 });
    expect(guard.record()).toBe(true);
  });
});
