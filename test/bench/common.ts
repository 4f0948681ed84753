// What every benchmark shares: the report shape, the machine's description, process memory, small statistics,
// and the command line of a single benchmark (`node dist/test/bench/<id>.js [--quick] [--json FILE]`).
import fs from 'node:fs';
import os from 'node:os';
import { runScript } from '../harness/stack';

/** One line of a table: a figure of vsr with its baseline, measured in the same run. */
export interface Row {
  case: string;
  metric: string;
  vsr: number | string;
  baseline: number | string;
  baselineLabel: string;
  unit?: string;
  /** vsr / baseline, where a ratio means something. */
  ratio?: number;
  note?: string;
}

export interface Target {
  name: string;
  figure: string;
  holds: boolean;
}

export interface BenchReport {
  id: string;
  title: string;
  /** How it was measured, in a sentence or two. */
  setup: string;
  rows: Row[];
  targets: Target[];
  /** Load average (1 min) before and after: the machine is shared, so figures are read next to it. */
  load: { before: number; after: number };
  seconds: number;
  /** When it ran (ISO 8601): with `--only`, the other sections keep their earlier runs. */
  at?: string;
  /** Raw figures, for the JSON file. */
  data?: unknown;
}

export interface BenchOptions {
  quick: boolean;
}

export interface Machine {
  date: string;
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  os: string;
  loadAverage: number[];
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    cores: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** Peak resident memory of a process so far (VmHWM), MiB; 0 when the process is gone. */
export function peakRssMiB(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU time a process (and with `children`, only its reaped children: ffmpeg, ffprobe) has used, ms; 0 when it is gone. */
export function cpuMs(pid: number, children = false): number {
  try {
    // Fields after the command name: state is field 3, utime/stime 14/15, cutime/cstime 16/17.
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return fields.slice(children ? 13 : 11, children ? 15 : 13).reduce((sum, f) => sum + Number(f), 0) * TICK_MS;
  } catch {
    return 0;
  }
}

/** Processes started by `parent` whose command name is `comm` (e.g. the Temporal dev server a test environment runs). */
export function childPids(parent: number, comm: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
        return stat.includes(`(${comm})`) && Number(stat.split(') ')[1].split(' ')[1]) === parent;
      } catch {
        return false;
      }
    })
    .map(Number);
}

export function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs `fn`, recording the load average around it and its duration. */
export async function measured(
  id: string,
  title: string,
  fn: () => Promise<Omit<BenchReport, 'id' | 'title' | 'load' | 'seconds' | 'at'>>,
): Promise<BenchReport> {
  const before = os.loadavg()[0];
  const t0 = Date.now();
  const r = await fn();
  const load = { before: round(before), after: round(os.loadavg()[0]) };
  return { id, title, ...r, load, seconds: round((Date.now() - t0) / 1000, 1), at: new Date(t0).toISOString() };
}

/** The command line of one benchmark file: `--quick` for the small CI form, `--json FILE` for the runner. */
export function benchMain(run: (o: BenchOptions) => Promise<BenchReport>): void {
  runScript(async () => {
    const argv = process.argv.slice(2);
    const quick = argv.includes('--quick');
    const at = argv.indexOf('--json');
    const report = await run({ quick });
    if (at >= 0) fs.writeFileSync(argv[at + 1], JSON.stringify(report, null, 2));
    else console.log(JSON.stringify(report, null, 2));
  });
}
