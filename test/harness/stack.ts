// A full local stack for integration tests: Temporal dev server, the stand-in, and workers (in-process or child processes).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { VsrClient } from '../../client';
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from '../../localcloud/server';
import { loadConfig, type Config } from '../../config';
import type { ActivityDeps } from '../../activities/deps';
import { createWorkers, type VsrWorkers } from '../../workers/worker';
import { startTemporal, workflowBundle } from './temporal';

export interface TestStack {
  dir: string;
  env: TestWorkflowEnvironment;
  cloud: LocalCloud;
  config: Config;
  vsr: VsrClient;
  taskQueue: string;
  /** Environment for a `vsr worker` child process wired to this stack. */
  workerEnv: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startTestStack(name: string, cloudOptions: Partial<LocalCloudOptions> = {}): Promise<TestStack> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), `vsr-${name}-`));
  const env = await startTemporal();
  const cloud = await startLocalCloud({
    dataDir: path.join(dir, 'cloud'),
    engine: 'fast',
    submitsPerSecond: 0,
    ...cloudOptions,
  });
  const taskQueue = `vsr-test-${name}`;
  const workerEnv: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: env.namespace ?? 'default',
    VSR_TASK_QUEUE: taskQueue,
    VSR_PROVIDER: 'local',
    VSR_HOME: path.join(dir, 'home'),
    VSR_WORK_DIR: path.join(dir, 'work'),
    VSR_LOCAL_VIAPI_ENDPOINT: cloud.viapiEndpoint,
    VSR_LOCAL_OSS_ENDPOINT: cloud.ossEndpoint,
    VSR_LOCAL_ACCESS_KEY_ID: cloud.accessKeyId,
    VSR_LOCAL_ACCESS_KEY_SECRET: cloud.accessKeySecret,
    VSR_LOCAL_BUCKET: cloud.bucket,
  };
  const config = loadConfig(workerEnv);
  return {
    dir,
    env,
    cloud,
    config,
    vsr: new VsrClient(env.client, taskQueue),
    taskQueue,
    workerEnv,
    async close() {
      await cloud.close();
      await env.teardown();
      await fs.promises.rm(dir, { recursive: true, force: true });
    },
  };
}

/** An in-process worker for this stack; stop it with `shutdown()` and await `running`. */
export async function inProcessWorker(
  stack: TestStack,
  overrides: Partial<Config> = {},
  deps: Partial<ActivityDeps> = {},
): Promise<{ worker: VsrWorkers; running: Promise<void> }> {
  const worker = await createWorkers({
    config: { ...stack.config, ...overrides },
    connection: stack.env.nativeConnection,
    client: stack.env.client,
    workflowBundle: await workflowBundle(),
    deps: { progressIntervalMs: 200, ...deps },
  });
  return { worker, running: worker.run() };
}

/** A worker in its own process (`node dist/workers/main.js`), so a test can kill it like a crash would. */
export function workerProcess(stack: TestStack, extraEnv: NodeJS.ProcessEnv = {}): ChildProcess {
  const main = path.join(__dirname, '..', '..', 'workers', 'main.js');
  const child = spawn(process.execPath, [main], { env: { ...stack.workerEnv, ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (d: Buffer) => {
    if (process.env.VSR_TEST_VERBOSE) process.stderr.write(`[child worker] ${d.toString()}`);
  });
  return child;
}

export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** For scripts (benchmarks, recording histories): a stack with an in-process worker, torn down after `fn`. */
export async function withWorkingStack(
  name: string,
  cloudOptions: Partial<LocalCloudOptions>,
  fn: (stack: TestStack) => Promise<void>,
): Promise<void> {
  const stack = await startTestStack(name, cloudOptions);
  const w = await inProcessWorker(stack);
  try {
    await fn(stack);
  } finally {
    w.worker.shutdown();
    await w.running;
    await stack.close();
  }
}

/** Runs a script's main, exiting non-zero with the error when it fails. */
export function runScript(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
