import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { UsageError } from './cliArguments';
import { messageOf } from './describeFailure';

/**
 * The step runner behind `verify-complete` and `test-all`: steps run one after another
 * (every step runs even when an earlier one failed, so one run shows everything that is
 * wrong), each timed, then a summary table; the exit code is 1 when any step failed.
 */

export type StepStatus = 'pass' | 'fail' | 'skip';

export interface StepVerdict {
  readonly status: StepStatus;
  /** One line: why it failed or was skipped, or what it saw. */
  readonly detail?: string;
}

export interface StepContext {
  /** Writes output of the step as it runs (a command's stdout and stderr). */
  write(text: string): void;
}

export interface Step {
  readonly name: string;
  /** One line shown by `--list`. */
  readonly description: string;
  run(context: StepContext): Promise<StepVerdict>;
}

export interface StepResult {
  readonly name: string;
  readonly status: StepStatus;
  readonly durationMs: number;
  readonly detail: string;
}

export interface RunStepsOptions {
  /** Where step output and the runner's own lines go. */
  readonly write: (text: string) => void;
  /** Monotonic clock in ms. Default `performance.now`. */
  readonly now?: () => number;
}

/** Runs every step in order; a step that throws is a failure with the error's message. */
export async function runSteps(steps: readonly Step[], options: RunStepsOptions): Promise<StepResult[]> {
  const { write, now = () => performance.now() } = options;
  const results: StepResult[] = [];
  for (const step of steps) {
    write(`\n▶ ${step.name}: ${step.description}\n`);
    const started = now();
    let verdict: StepVerdict;
    try {
      verdict = await step.run({ write });
    } catch (error) {
      verdict = { status: 'fail', detail: messageOf(error) };
    }
    const result: StepResult = { name: step.name, status: verdict.status, durationMs: now() - started, detail: oneLine(verdict.detail ?? '') };
    results.push(result);
    write(`${STATUS_LABEL[result.status]} ${step.name} (${seconds(result.durationMs)})${result.detail === '' ? '' : `: ${result.detail}`}\n`);
  }
  return results;
}

const STATUS_LABEL: Readonly<Record<StepStatus, string>> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' };

/** The summary table: one row per step with its result, duration and detail, and a totals line. */
export function formatSummary(title: string, results: readonly StepResult[]): string {
  const header = ['step', 'result', 'duration', 'detail'];
  const rows = results.map((result) => [result.name, STATUS_LABEL[result.status], seconds(result.durationMs), result.detail]);
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column]!.length)));
  const render = (row: readonly string[]): string =>
    row
      .map((cell, column) => (column === 2 ? cell.padStart(widths[column]!) : column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  const count = (status: StepStatus): number => results.filter((result) => result.status === status).length;
  const total = seconds(results.reduce((sum, result) => sum + result.durationMs, 0));
  return [
    `${title} summary`,
    render(header),
    render(widths.map((width) => '-'.repeat(width))),
    ...rows.map(render),
    `${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped in ${total}`,
  ].join('\n');
}

/** 0 when no step failed, else 1. */
export function exitCodeOf(results: readonly StepResult[]): number {
  return results.some((result) => result.status === 'fail') ? 1 : 0;
}

/** The steps named in `only` (all when empty), in their own order; an unknown name throws `UsageError` listing the known ones. */
export function selectSteps(steps: readonly Step[], only: readonly string[]): Step[] {
  if (only.length === 0) return [...steps];
  const known = new Set(steps.map((step) => step.name));
  const unknown = only.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new UsageError(`unknown step ${unknown.map((name) => JSON.stringify(name)).join(', ')}; steps: ${[...known].join(', ')}`);
  }
  return steps.filter((step) => only.includes(step.name));
}

export interface CommandStepOptions {
  readonly cwd: string;
  /** Added to the inherited environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** The command's name in a failure's detail; default the file name of `command`. */
  readonly label?: string;
}

/** A step that runs `command args…` and passes when it exits 0; its output goes to the runner's `write`. */
export function commandStep(name: string, description: string, command: string, args: readonly string[], options: CommandStepOptions): Step {
  return {
    name,
    description,
    run: (context) => runCommand(command, args, options, context),
  };
}

function runCommand(command: string, args: readonly string[], options: CommandStepOptions, context: StepContext): Promise<StepVerdict> {
  return new Promise((resolve) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: { ...process.env, ...(process.stdout.isTTY ? { FORCE_COLOR: '1' } : {}), ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => context.write(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => context.write(chunk));
    const label = options.label ?? path.basename(command);
    child.once('error', (error) => resolve({ status: 'fail', detail: `${label} could not start: ${error.message}` }));
    child.once('close', (code, signal) => {
      if (code === 0) resolve({ status: 'pass' });
      else resolve({ status: 'fail', detail: signal === null ? `${label} exited with code ${String(code)}` : `${label} killed by ${signal}` });
    });
  });
}

/** A step that is not run, with the reason shown in the summary. */
export function skippedStep(name: string, description: string, reason: string): Step {
  return { name, description, run: () => Promise.resolve({ status: 'skip', detail: reason }) };
}

/** A step that fails at once with `reason` (a required file is missing). */
export function failedStep(name: string, description: string, reason: string): Step {
  return { name, description, run: () => Promise.resolve({ status: 'fail', detail: reason }) };
}

/** The checkout's root: the nearest folder above this file holding `package.json` (works from `scripts/` and `dist/scripts/`). */
export function repositoryRoot(from: string = __dirname): string {
  let directory = path.resolve(from);
  for (;;) {
    if (existsSync(path.join(directory, 'package.json'))) return directory;
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error(`no package.json above ${from}`);
    directory = parent;
  }
}

/** A command line: the file to run, its first arguments, and its name in a failure's detail. */
export interface ToolCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly label: string;
}

/**
 * A tool installed in the checkout (`node_modules/<package>`): its JavaScript entry run by
 * the Node running this command (`process.execPath`, the pinned one under `npm run`).
 * `node_modules/.bin/<name>` would start it through `#!/usr/bin/env node`, on whichever
 * `node` comes first on PATH. A package that is not installed gives its `.bin` path, which
 * fails to start, naming the tool.
 */
export function localTool(root: string, packageName: string, binName: string = packageName): ToolCommand {
  const folder = path.join(root, 'node_modules', packageName);
  let bin: unknown;
  try {
    bin = (JSON.parse(readFileSync(path.join(folder, 'package.json'), 'utf8')) as { bin?: unknown }).bin;
  } catch {
    bin = undefined;
  }
  const entry = typeof bin === 'string' ? bin : typeof bin === 'object' && bin !== null ? (bin as Record<string, unknown>)[binName] : undefined;
  if (typeof entry !== 'string') return { command: path.join(root, 'node_modules', '.bin', binName), args: [], label: binName };
  return { command: process.execPath, args: [path.join(folder, entry)], label: binName };
}

/** A step that runs a `localTool` with `args` and passes when it exits 0. */
export function toolStep(name: string, description: string, tool: ToolCommand, args: readonly string[], options: CommandStepOptions): Step {
  return commandStep(name, description, tool.command, [...tool.args, ...args], { label: tool.label, ...options });
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 157)}...` : flat;
}

/** The step list printed by `--list`. */
export function formatStepList(steps: readonly Step[]): string {
  const width = Math.max(...steps.map((step) => step.name.length));
  return steps.map((step) => `${step.name.padEnd(width)}  ${step.description}`).join('\n');
}
