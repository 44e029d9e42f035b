/** Keys that reach an object's prototype when assigned or read: never accepted from a request body. */
export const RESERVED_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

/**
 * The dotted path of every reserved own key in `value`, at any depth. JSON.parse makes
 * `__proto__` an own property, which schema parsers then drop without a word: look before them.
 */
export function reservedKeyPaths(value: unknown): string[] {
  const found: string[] = [];
  // A stack, not recursion: a deeply nested body must not overflow the call stack.
  const pending: { readonly node: unknown; readonly path: string }[] = [{ node: value, path: '' }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { node, path } = next;
    if (typeof node !== 'object' || node === null) continue;
    for (const key of Object.keys(node)) {
      const keyPath = path === '' ? key : `${path}.${key}`;
      if (RESERVED_KEYS.includes(key)) found.push(keyPath);
      else pending.push({ node: (node as Record<string, unknown>)[key], path: keyPath });
    }
  }
  return found.sort();
}
