import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** A process whose CPU time the report shows. */
export interface WatchedProcess {
  readonly name: string;
  readonly pid: number;
}

export interface CpuReport {
  readonly wallSeconds: number;
  /** Cores each watched process used on average (undefined when its /proc entry could not be read). */
  readonly processes: readonly { readonly name: string; readonly cores: number | undefined }[];
  /** This process: autocannon and the log file writer. */
  readonly loadToolCores: number;
  /** Cores the whole machine was busy (every process, ours and others'), and how many it has. */
  readonly machineBusyCores: number | undefined;
  readonly machineCores: number;
}

export interface CpuMeter {
  stop(): CpuReport;
}

/** Linux reports process times in clock ticks of 1/100 s on every platform Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of `/proc/<pid>/stat`, in seconds. */
export function processCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** Busy seconds summed over all cores from the first line of `/proc/stat` (user, nice, system, irq, softirq). */
export function machineBusySeconds(stat: string): number {
  const fields = stat.slice(0, stat.indexOf('\n')).trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = fields;
  return (user + nice + system + irq + softirq) / CLOCK_TICKS_PER_SECOND;
}

function read(file: string, parse: (text: string) => number): number | undefined {
  try {
    return parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Starts counting CPU time: the watched processes', this process's and the machine's. */
export function startCpuMeter(processes: readonly WatchedProcess[]): CpuMeter {
  const started = process.hrtime.bigint();
  const own = process.cpuUsage();
  const before = processes.map(({ pid }) => read(`/proc/${pid}/stat`, processCpuSeconds));
  const machineBefore = read('/proc/stat', machineBusySeconds);
  return {
    stop() {
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      const cores = (start: number | undefined, end: number | undefined): number | undefined =>
        start === undefined || end === undefined || wallSeconds <= 0 ? undefined : (end - start) / wallSeconds;
      const used = process.cpuUsage(own);
      return {
        wallSeconds,
        processes: processes.map(({ name, pid }, index) => ({ name, cores: cores(before[index], read(`/proc/${pid}/stat`, processCpuSeconds)) })),
        loadToolCores: (used.user + used.system) / 1e6 / wallSeconds,
        machineBusyCores: cores(machineBefore, read('/proc/stat', machineBusySeconds)),
        machineCores: availableParallelism(),
      };
    },
  };
}

/** `[chat_load] CPU (cores): gateway 0.93, competitor 0.41, load tool 0.52, machine 1.98 of 2 busy` */
export function formatCpu(scenario: string, report: CpuReport): string {
  const shown = (cores: number | undefined): string => (cores === undefined ? 'n/a' : cores.toFixed(2));
  const parts = [...report.processes.map(({ name, cores }) => `${name} ${shown(cores)}`), `load tool ${shown(report.loadToolCores)}`];
  if (report.machineBusyCores !== undefined) parts.push(`whole machine ${shown(report.machineBusyCores)} of ${report.machineCores} busy`);
  return `[${scenario}] CPU while measured, in cores: ${parts.join(', ')}`;
}
