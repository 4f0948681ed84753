// vsr's workers: the main task queue (workflows and activities) and the submit lane's queue (its provider calls),
// composed with their telemetry: provider clients decorated with metrics, activity and tracing interceptors, and
// the Worker Deployment version when versioning is on.
import fs from 'node:fs';
import { Client } from '@temporalio/client';
import { Runtime, Worker, type NativeConnection, type WorkerDeploymentOptions, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, LANE_ACTIVITIES, type ActivityDeps } from '../activities';
import { submitTaskQueue } from '../workflows/contract';
import { transferProgressSignal } from '../workflows/signals';
import type { Config } from '../config';
import { dataConverter } from '../config/connection';
import { defaultBuildId, workflowBundle } from './bundle';
import { buildProvider } from './providers';
import { safetyDeps } from './safety';
import { activityTelemetry } from './telemetry/activities';
import { instrumentStorage, instrumentViapi } from './telemetry/instrument';
import { VsrMetrics } from './telemetry/metrics';
import { tracingActivityInterceptors, tracingSinks } from './telemetry/tracing';

/** After the grace time, activities that ignore cancellation get this long before the worker gives up on them. */
export const SHUTDOWN_FORCE_MS = 10_000;

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
    /** The Worker Deployment version both poll as, when versioning is on. */
    readonly version?: { deploymentName: string; buildId: string },
  ) {}

  run(): Promise<void> {
    return Promise.all([this.main.run(), this.submit.run()]).then(() => undefined);
  }

  shutdown(): void {
    for (const w of [this.main, this.submit]) if (w.getState() === 'RUNNING') w.shutdown();
  }

  /** Both polling (not starting, draining or stopped). */
  get polling(): boolean {
    return this.main.getState() === 'RUNNING' && this.submit.getState() === 'RUNNING';
  }

  get failed(): boolean {
    return this.main.getState() === 'FAILED' || this.submit.getState() === 'FAILED';
  }
}

async function deploymentOptions(config: Config, bundle: WorkflowBundleOption): Promise<WorkerDeploymentOptions | undefined> {
  const d = config.deployment;
  if (!d) return undefined;
  return {
    useWorkerVersioning: true,
    version: { deploymentName: d.name, buildId: d.buildId ?? (await defaultBuildId(bundle)) },
    defaultVersioningBehavior: d.defaultBehavior,
  };
}

export async function createWorkers(o: WorkerOptions): Promise<VsrWorkers> {
  await fs.promises.mkdir(o.config.workDir, { recursive: true });
  const metrics = new VsrMetrics(Runtime.instance().metricMeter);
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
  // Observed from outside: the activities and the clients stay free of instrumentation.
  deps.viapi = instrumentViapi(deps.viapi, metrics);
  deps.storage = instrumentStorage(deps.storage, metrics);
  const activities = createActivities(deps);
  const bundle = o.workflowBundle ?? (await workflowBundle());
  const workerDeploymentOptions = await deploymentOptions(o.config, bundle);
  const common = {
    connection: o.connection,
    namespace: o.config.temporal.namespace,
    dataConverter: dataConverter(o.config),
    interceptors: { activity: [...tracingActivityInterceptors(), activityTelemetry(metrics)] },
    sinks: tracingSinks(),
    workerDeploymentOptions,
    // SIGTERM: stop polling; running activities get the grace time to finish, then are cancelled and heartbeat out.
    shutdownGraceTime: o.config.shutdownGraceMs,
    shutdownForceTime: SHUTDOWN_FORCE_MS,
  };
  const main = await Worker.create({
    ...common,
    taskQueue: o.config.taskQueue,
    workflowBundle: bundle,
    activities,
    maxConcurrentActivityTaskExecutions: o.config.maxConcurrentActivities,
    maxConcurrentWorkflowTaskExecutions: o.config.maxConcurrentWorkflowTasks,
  });
  const submit = await Worker.create({
    ...common,
    taskQueue: submitTaskQueue(o.config.taskQueue),
    activities: Object.fromEntries(LANE_ACTIVITIES.map((name) => [name, activities[name]])),
    // The lane runs one call at a time; a few slots let a second lane (another account) go on meanwhile.
    maxConcurrentActivityTaskExecutions: 4,
  });
  return new VsrWorkers(main, submit, workerDeploymentOptions?.version);
}
