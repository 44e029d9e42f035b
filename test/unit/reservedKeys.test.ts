import { reservedKeyPaths } from '../../src/reservedKeys';

describe('reservedKeyPaths', () => {
  it('finds the __proto__ that JSON.parse makes an own property, at any depth and inside arrays', () => {
    const parsed: unknown = JSON.parse('{"a":{"b":[{"__proto__":{"x":1}}]},"prototype":1,"c":{"constructor":{"d":2}}}');
    expect(reservedKeyPaths(parsed)).toEqual(['a.b.0.__proto__', 'c.constructor', 'prototype']);
  });

  it('finds nothing in ordinary values and never looks at inherited properties', () => {
    expect(reservedKeyPaths({ log_level: 'debug', event_sampling: { 'pool.*': 0.5 } })).toEqual([]);
    expect(reservedKeyPaths(Object.create({ constructor: 1 }))).toEqual([]);
    expect(reservedKeyPaths('__proto__')).toEqual([]);
    expect(reservedKeyPaths(null)).toEqual([]);
  });

  it('walks a deeply nested body without overflowing the stack', () => {
    const deep = `${'{"a":'.repeat(20_000)}{"__proto__":1}${'}'.repeat(20_000)}`;
    expect(reservedKeyPaths(JSON.parse(deep))).toHaveLength(1);
  });
});
