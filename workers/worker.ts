// vsr's workers: the main task queue (workflows and activities) and the submit lane's queue (its provider calls).
import fs from 'node:fs';
import { Client } from '@temporalio/client';
import { Worker, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, LANE_ACTIVITIES, type ActivityDeps } from '../activities';
import { submitTaskQueue } from '../workflows/contract';
import { transferProgressSignal } from '../workflows/signals';
import type { Config } from '../config';
import { dataConverter } from '../config/connection';
import { prebuiltWorkflowBundle, WORKFLOWS_PATH } from './bundle';
import { buildProvider } from './providers';
import { safetyDeps } from './safety';

export interface WorkerOptions {
  config: Config;
  connection: NativeConnection;
  /** Used to send progress signals to workflows and to look up batch items. */
  client: Client;
  /** A bundle to use instead of the pre-built one (or of bundling at start when that is stale). */
  workflowBundle?: WorkflowBundleOption;
  /** Overrides for tests (a controlled clock, a different provider client). */
  deps?: Partial<ActivityDeps>;
}

/** Both workers, run and stopped together. */
export class VsrWorkers {
  constructor(
    readonly main: Worker,
    readonly submit: Worker,
  ) {}

  run(): Promise<void> {
    return Promise.all([this.main.run(), this.submit.run()]).then(() => undefined);
  }

  shutdown(): void {
    for (const w of [this.main, this.submit]) if (w.getState() === 'RUNNING') w.shutdown();
  }
}

function workflowSource(bundle: WorkflowBundleOption | undefined): { workflowBundle: WorkflowBundleOption } | { workflowsPath: string } {
  return bundle ? { workflowBundle: bundle } : { workflowsPath: WORKFLOWS_PATH };
}

export async function createWorkers(o: WorkerOptions): Promise<VsrWorkers> {
  await fs.promises.mkdir(o.config.workDir, { recursive: true });
  const deps: ActivityDeps = {
    ...buildProvider(o.config),
    ...safetyDeps(o.config),
    workDir: o.config.workDir,
    partSize: o.config.uploadPartBytes,
    submitsPerSecond: o.config.submitsPerSecond,
    now: () => Date.now(),
    reportProgress: async (workflowId, progress) => {
      await o.client.workflow.getHandle(workflowId).signal(transferProgressSignal, progress);
    },
    temporal: o.client,
    ...o.deps,
  };
  const activities = createActivities(deps);
  const common = { connection: o.connection, namespace: o.config.temporal.namespace, dataConverter: dataConverter(o.config) };
  const main = await Worker.create({
    ...common,
    taskQueue: o.config.taskQueue,
    ...workflowSource(o.workflowBundle ?? prebuiltWorkflowBundle()),
    activities,
    maxConcurrentActivityTaskExecutions: o.config.maxConcurrentActivities,
    maxConcurrentWorkflowTaskExecutions: o.config.maxConcurrentWorkflowTasks,
    // Transfers must see cancellation and finish their heartbeats before the worker exits.
    shutdownGraceTime: '20s',
  });
  const submit = await Worker.create({
    ...common,
    taskQueue: submitTaskQueue(o.config.taskQueue),
    activities: Object.fromEntries(LANE_ACTIVITIES.map((name) => [name, activities[name]])),
    // The lane runs one call at a time; a few slots let a second lane (another account) go on meanwhile.
    maxConcurrentActivityTaskExecutions: 4,
    shutdownGraceTime: '20s',
  });
  return new VsrWorkers(main, submit);
}
