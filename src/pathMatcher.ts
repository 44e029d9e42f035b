/** Matches URL paths against prefixes on whole segments: `/health` matches `/health/ready`, not `/healthz`. */
export function pathMatcher(owner: string, prefixes: readonly string[]): (url: string) => boolean {
  if (prefixes.length === 0) return () => false;
  for (const prefix of prefixes) {
    if (!prefix.startsWith('/')) {
      throw new TypeError(`${owner}: excludePaths entries must start with '/', got ${JSON.stringify(prefix)}`);
    }
  }
  const exact = [...prefixes];
  const below = prefixes.map((prefix) => (prefix.endsWith('/') ? prefix : `${prefix}/`));
  return (url) => {
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    for (let i = 0; i < exact.length; i += 1) {
      if (path === exact[i] || path.startsWith(below[i] as string)) return true;
    }
    return false;
  };
}
