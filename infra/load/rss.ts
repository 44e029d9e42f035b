import { readFile } from 'node:fs/promises';

/** Reads the gateway's resident set size in bytes; rejects when it cannot. */
export interface RssSource {
  /** `/proc/<pid>/status` or `<url>/metrics`, as the report names it. */
  readonly name: string;
  read(): Promise<number>;
}

/** `VmRSS:   123456 kB` of a `/proc/<pid>/status` text, in bytes. */
export function vmRssBytes(status: string): number | undefined {
  const match = /^VmRSS:\s*(\d+)\s*kB\s*$/m.exec(status);
  return match === null ? undefined : Number(match[1]) * 1024;
}

/** The value of `process_resident_memory_bytes` (any metric-name prefix) in Prometheus text. */
export function residentMemoryBytes(exposition: string): number | undefined {
  const match = /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*_)?process_resident_memory_bytes(?:\{[^}]*\})?\s+(\S+)/m.exec(exposition);
  if (match === null) return undefined;
  const value = Number(match[1]);
  return Number.isFinite(value) ? value : undefined;
}

export function procRss(pid: number): RssSource {
  const file = `/proc/${pid}/status`;
  return {
    name: file,
    async read() {
      const bytes = vmRssBytes(await readFile(file, 'utf8'));
      if (bytes === undefined) throw new Error(`${file} has no VmRSS line (has the process exited?)`);
      return bytes;
    },
  };
}

export function metricsRss(url: string, adminToken: string): RssSource {
  const endpoint = `${url}/metrics`;
  return {
    name: endpoint,
    async read() {
      const res = await fetch(endpoint, { headers: { authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(5000) });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${endpoint} answered ${res.status}${res.status === 401 ? ' (is the admin token right?)' : ''}`);
      const bytes = residentMemoryBytes(text);
      if (bytes === undefined) throw new Error(`${endpoint} has no process_resident_memory_bytes`);
      return bytes;
    },
  };
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
