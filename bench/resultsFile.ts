import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A benchmark's section of bench/RESULTS.md, between its own markers. */
export interface ResultsSection {
  readonly start: string;
  readonly end: string;
  /** The whole section, markers included. */
  readonly text: string;
}

/** Replaces the section in `file` (the rest untouched), or appends it; a missing file starts with `intro`. */
export function writeResultsSection(file: string, section: ResultsSection, intro: string): void {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : intro;
  const start = current.indexOf(section.start);
  const end = current.indexOf(section.end);
  const next =
    start >= 0 && end > start
      ? `${current.slice(0, start)}${section.text}${current.slice(end + section.end.length)}`
      : `${current.trimEnd()}\n\n${section.text}\n`;
  writeFileSync(file, next);
}

/** Writes a run's raw report as `<name>-<startedAt>.json` in `directory`; returns the file. */
export function writeRawReport(directory: string, name: string, startedAt: string, report: unknown): string {
  mkdirSync(directory, { recursive: true });
  const file = path.join(directory, `${name}-${startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
