// A vsr worker: the workflows plus activities built from the configured provider.
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { Worker, type NativeConnection, type WorkflowBundle } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { transferProgressSignal } from '../workflows/signals';
import type { Config } from './config';
import { buildProvider } from './providers';

export const WORKFLOWS_PATH = path.join(__dirname, '..', 'workflows', 'index.js');

export interface WorkerOptions {
  config: Config;
  connection: NativeConnection;
  /** Used to send progress signals to workflows. */
  client: Client;
  /** A pre-built bundle saves the webpack step (tests start many workers). */
  workflowBundle?: WorkflowBundle;
  /** Overrides for tests (a controlled clock, a different provider client). */
  deps?: Partial<ActivityDeps>;
}

export async function createWorker(o: WorkerOptions): Promise<Worker> {
  await fs.promises.mkdir(o.config.workDir, { recursive: true });
  const deps: ActivityDeps = {
    ...buildProvider(o.config),
    workDir: o.config.workDir,
    partSize: o.config.uploadPartBytes,
    now: () => Date.now(),
    reportProgress: async (workflowId, progress) => {
      await o.client.workflow.getHandle(workflowId).signal(transferProgressSignal, progress);
    },
    ...o.deps,
  };
  return Worker.create({
    connection: o.connection,
    namespace: o.config.temporal.namespace,
    taskQueue: o.config.taskQueue,
    ...(o.workflowBundle ? { workflowBundle: o.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(deps),
    maxConcurrentActivityTaskExecutions: o.config.maxConcurrentActivities,
    maxConcurrentWorkflowTaskExecutions: o.config.maxConcurrentWorkflowTasks,
    // Transfers must see cancellation and finish their heartbeats before the worker exits.
    shutdownGraceTime: '20s',
  });
}
