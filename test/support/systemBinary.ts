import fs from 'node:fs';
import path from 'node:path';

/**
 * Tests that drive a system binary (Debian packages installed by `.ci/run`) are declared with
 * `describeWithBinary`: they skip locally when the binary is missing, and fail in CI
 * (`SIGHTLINE_REQUIRE_SYSTEM_DEPS=1`).
 */

export type SystemBinary = 'prometheus' | 'promtool' | 'chromium' | 'espeak-ng';

const DEBIAN_PACKAGE: Record<SystemBinary, string> = {
  prometheus: 'prometheus',
  promtool: 'prometheus',
  chromium: 'chromium',
  'espeak-ng': 'espeak-ng',
};

/** Absolute path of an executable `name` on PATH, or undefined. */
export function systemBinary(name: SystemBinary): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.resolve(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/**
 * `describe(title, fn)` when `name` is on PATH. When it is missing: a failing test if
 * `SIGHTLINE_REQUIRE_SYSTEM_DEPS=1` (CI), otherwise a skipped block and one warning.
 */
export function describeWithBinary(name: SystemBinary, title: string, fn: () => void): void {
  if (systemBinary(name)) {
    describe(title, fn);
    return;
  }
  const install = `apt-get install ${DEBIAN_PACKAGE[name]}`;
  if (process.env.SIGHTLINE_REQUIRE_SYSTEM_DEPS === '1') {
    describe(title, () => {
      it(`has the ${name} binary`, () => {
        throw new Error(`${name} not found on PATH; CI installs it (.ci/run: ${install})`);
      });
    });
    return;
  }
  const reason = `skipped: ${name} not on PATH; ${install}`;
  console.warn(`${title} (${reason})`);
  describe.skip(`${title} (${reason})`, fn);
}
