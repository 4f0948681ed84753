// The stack a benchmark measures, every part in its own process as in production, so that each one's memory
// and CPU are its own: a Temporal dev server, the stand-in (`vsr localcloud`), and `vsr worker` processes.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { VsrClient } from '../../client';
import { startTemporal } from '../harness/temporal';
import { childPids, cpuMs, peakRssMiB } from './common';

const ROOT = path.join(__dirname, '..', '..', '..');
const VSR = path.join(ROOT, 'bin', 'vsr.js');

export interface CloudEndpoints {
  viapiEndpoint: string;
  ossEndpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  bucket: string;
  adminEndpoint: string;
  adminToken: string;
}

export interface CloudOptions {
  engine: 'fast' | 'quality' | 'zero';
  /** The provider's submit limit; 0 = none. */
  submitsPerSecond: number;
  parallel: number;
}

/** A job as the stand-in logs it (its clock is real time here: the benchmarks never move it). */
export interface ProviderJob {
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  status: string;
}

/** The stand-in's counters (GET /__admin/billing). */
export interface Billing {
  billableJobs: number;
  oss: { uploadParts: number; rangeGets: number; gets: number };
  viapi: { calls: Record<string, number>; errors: Record<string, number> };
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Peak RSS so far, MiB. */
  peakRssMiB(): number;
  stop(): Promise<void>;
}

export interface BenchStack {
  dir: string;
  env: TestWorkflowEnvironment;
  cloud: CloudEndpoints;
  cloudProcess: ChildProcess;
  /** CPU ms used so far by the stand-in, the Temporal server and the workers (with their children). */
  cpu(): { standIn: number; standInChildren: number; temporal: number; workers: number; workerChildren: number };
  vsr: VsrClient;
  taskQueue: string;
  startWorker(extraEnv?: NodeJS.ProcessEnv): Promise<WorkerProcess>;
  billing(): Promise<Billing>;
  /** The stand-in's job log (its data folder), for when jobs waited and ran. */
  providerJobs(): Promise<ProviderJob[]>;
  admin(route: string, body?: unknown): Promise<unknown>;
  close(): Promise<void>;
}

/** How long a process may take to say it is ready before the benchmark fails instead of hanging. */
const READY_MS = 120_000;

/**
 * Resolves with the first line on `stream` that `match` accepts; rejects when the process exits first or stays
 * silent past READY_MS. The stream is read to its end either way, so a chatty process never blocks on a full pipe.
 */
function lineFrom(child: ChildProcess, stream: NodeJS.ReadableStream, match: (line: string) => boolean, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: stream });
    const fail = (why: string) => {
      child.off('exit', onExit);
      clearTimeout(timer);
      reject(new Error(`${what} ${why} before it was ready`));
    };
    const onExit = (code: number | null, signal: string | null) => fail(`exited (${signal ?? code})`);
    const timer = setTimeout(() => fail(`was silent for ${READY_MS / 1000} s`), READY_MS);
    child.once('exit', onExit);
    let ready = false;
    rl.on('line', (line) => {
      if (process.env.VSR_BENCH_VERBOSE) process.stderr.write(`[${what}] ${line}\n`);
      if (ready || !match(line)) return;
      ready = true;
      child.off('exit', onExit);
      clearTimeout(timer);
      resolve(line);
    });
  });
}

/** The worker's JSON log line that says it polls its task queues (workers/main.ts). */
const workerStarted = (line: string): boolean => {
  try {
    return (JSON.parse(line) as { msg?: unknown }).msg === 'worker started';
  } catch {
    return false;
  }
};

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function startBenchStack(name: string, cloudOptions: CloudOptions): Promise<BenchStack> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), `vsr-bench-${name}-`));
  const children: ChildProcess[] = [];
  let env: TestWorkflowEnvironment | undefined;
  try {
    env = await startTemporal();
    const cloudProcess = spawn(
      process.execPath,
      [
        VSR,
        'localcloud',
        '--data',
        path.join(dir, 'cloud'),
        '--engine',
        cloudOptions.engine,
        '--submits-per-second',
        String(cloudOptions.submitsPerSecond),
        '--parallel',
        String(cloudOptions.parallel),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, VSR_HOME: path.join(dir, 'home') } },
    );
    children.push(cloudProcess);
    const cloud = JSON.parse(await lineFrom(cloudProcess, cloudProcess.stdout, (l) => l.startsWith('{'), 'stand-in')) as CloudEndpoints;
    const taskQueue = `vsr-bench-${name}`;
    const workerEnv: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace ?? 'default',
      VSR_TASK_QUEUE: taskQueue,
      VSR_PROVIDER: 'local',
      VSR_HOME: path.join(dir, 'home'),
      VSR_LOCAL_VIAPI_ENDPOINT: cloud.viapiEndpoint,
      VSR_LOCAL_OSS_ENDPOINT: cloud.ossEndpoint,
      VSR_LOCAL_ACCESS_KEY_ID: cloud.accessKeyId,
      VSR_LOCAL_ACCESS_KEY_SECRET: cloud.accessKeySecret,
      VSR_LOCAL_BUCKET: cloud.bucket,
      VSR_SUBMITS_PER_SECOND: String(cloudOptions.submitsPerSecond || 1000),
    };
    const admin = async (route: string, body?: unknown): Promise<unknown> => {
      const res = await fetch(`${cloud.adminEndpoint}/${route}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${cloud.adminToken}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`admin ${route}: HTTP ${res.status} ${await res.text()}`);
      return res.json();
    };
    let workers = 0;
    const temporal = env;
    const temporalPids = childPids(process.pid, 'temporal');
    const workerPids: number[] = [];
    return {
      dir,
      env,
      cloud,
      cloudProcess,
      vsr: new VsrClient(env.client, taskQueue),
      taskQueue,
      admin,
      cpu: () => ({
        standIn: cpuMs(cloudProcess.pid as number),
        standInChildren: cpuMs(cloudProcess.pid as number, true),
        temporal: temporalPids.reduce((sum, pid) => sum + cpuMs(pid), 0),
        workers: workerPids.reduce((sum, pid) => sum + cpuMs(pid), 0),
        workerChildren: workerPids.reduce((sum, pid) => sum + cpuMs(pid, true), 0),
      }),
      billing: () => admin('billing') as Promise<Billing>,
      providerJobs: async () =>
        JSON.parse(await fs.promises.readFile(path.join(dir, 'cloud', 'viapi', 'jobs.json'), 'utf8')) as ProviderJob[],
      async startWorker(extraEnv = {}) {
        const n = ++workers;
        const child = spawn(process.execPath, [VSR, 'worker'], {
          env: { ...workerEnv, VSR_WORK_DIR: path.join(dir, `work-${n}`), ...extraEnv },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        children.push(child);
        workerPids.push(child.pid as number);
        await lineFrom(child, child.stdout, workerStarted, `worker ${n}`);
        return { child, peakRssMiB: () => peakRssMiB(child.pid as number), stop: () => stopProcess(child) };
      },
      async close() {
        for (const c of children.reverse()) await stopProcess(c);
        await temporal.teardown();
        await fs.promises.rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    for (const c of children.reverse()) await stopProcess(c);
    await env?.teardown();
    await fs.promises.rm(dir, { recursive: true, force: true });
    throw err;
  }
}
