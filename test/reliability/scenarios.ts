// The reliability suite's scenarios: what goes wrong, when, and how each run should end.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createObjectStorage } from '../../activities/provider/oss';
import type { Progress, SuperResolveInput } from '../../workflows/contract';
import { isRoot } from '../harness/mounts';
import { until } from '../harness/stack';
import type { ReliabilityStack, WorkerHandle } from './stack';
import type { Samples } from './suite';

export interface ScenarioContext {
  stack: ReliabilityStack;
  samples: Samples;
  /** The scenario's workflow ids, in run order. */
  ids: string[];
  notes: string[];
  readonly worker: WorkerHandle;
  /** SIGKILL of the current worker, and a new one started at once (with `extra` environment). */
  restartWorker(extra?: NodeJS.ProcessEnv): Promise<void>;
  /** When the fault happened (or ended): time to recover is measured from here. */
  faultAt?: number;
  /** Things left behind that the suite's own count cannot see (a scenario's private disk). */
  extraLeftovers?: number;
}

export interface Scenario {
  name: string;
  runs: number;
  /** Runs in the bounded (CI) form; absent: not part of it. */
  bounded?: number;
  /** 'complete', or the error type (or 'Cancelled') each run should fail with. */
  expect: string;
  /** Jobs the scenario cancels while they wait in the provider's queue: submitted, but never billed. */
  unbilled?: number;
  timeoutSeconds?: number;
  input?(i: number, ctx: ScenarioContext): Partial<SuperResolveInput>;
  before?(ctx: ScenarioContext): Promise<void> | void;
  during?(ctx: ScenarioContext): Promise<void>;
  after?(ctx: ScenarioContext): Promise<void> | void;
}

const progress = (ctx: ScenarioContext, i = 0): Promise<Progress> => ctx.stack.vsr.progress(ctx.ids[i]);

/** The pending activities of a run (by default the scenario's first), or of another workflow by id. */
async function pending(ctx: ScenarioContext, which: number | string = 0) {
  const id = typeof which === 'string' ? which : ctx.ids[which];
  const d = await ctx.stack.vsr.client.workflow.getHandle(id).describe();
  return (d.raw.pendingActivities ?? []).map((a) => ({
    type: a.activityType?.name ?? '',
    failure: a.lastFailure?.applicationFailureInfo?.type ?? '',
  }));
}

function stage(ctx: ScenarioContext, s: Progress['stage'], withBytes = false): () => Promise<boolean> {
  return async () => {
    const p = await progress(ctx);
    return p.stage === s && (!withBytes || p.bytesDone > 0);
  };
}

/** Waits for `ready`, then kills the worker with SIGKILL and starts another; the fault time is the kill. */
async function killWorkerWhen(ctx: ScenarioContext, what: string, ready: () => Promise<boolean>): Promise<void> {
  await until(what, async () => (await ready()) || undefined, 180_000, 50);
  await ctx.restartWorker();
  ctx.faultAt = Date.now();
}

const billedMoreThan = (ctx: ScenarioContext, n: number) => async () => ctx.stack.cloud.billableJobs() > n;

/** A fault that holds for `ms` of real time and then clears (the scenario's definition, not a wait for a condition). */
async function burst(ctx: ScenarioContext, ms: number, clear: () => void): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  clear();
  ctx.faultAt = Date.now();
}

/** A piece of the stack killed and restarted while a run polls a slow job. */
function restartWhilePolling(name: string, restart: (stack: ReliabilityStack) => Promise<void>): Scenario {
  return {
    name,
    runs: 1,
    bounded: 1,
    expect: 'complete',
    before: (ctx) => void (ctx.stack.cloud.faults.jobDelayMs = 8000),
    async during(ctx) {
      await until('polling', async () => (await stage(ctx, 'polling')()) || undefined);
      await restart(ctx.stack);
      ctx.faultAt = Date.now();
    },
  };
}

export const SCENARIOS: Scenario[] = [
  { name: 'baseline', runs: 3, bounded: 1, expect: 'complete' },

  // SIGKILL of the worker process in each stage, a new worker started at once.
  {
    name: 'kill-in-validate',
    runs: 1,
    expect: 'complete',
    async before(ctx) {
      await putObject(ctx, ctx.stack.cloud.bucket, 'in/validate.mp4', ctx.samples.small);
      ctx.stack.cloud.faults.ossBytesPerSecond = 100_000; // the probe reads the object slowly
    },
    input: (_i, ctx) => ({ source: { kind: 'oss', bucket: ctx.stack.cloud.bucket, key: 'in/validate.mp4' } }),
    async during(ctx) {
      await killWorkerWhen(ctx, 'validation under way', async () => (await pending(ctx)).some((a) => a.type === 'validateInput'));
      ctx.stack.cloud.faults.ossBytesPerSecond = 0;
    },
  },
  {
    name: 'kill-in-upload',
    runs: 1,
    expect: 'complete',
    input: (_i, ctx) => ({ source: { kind: 'local', path: ctx.samples.large } }),
    // Per connection, and 4 parts go at once: slow enough that the upload outlasts the 2 s between progress reports.
    before: (ctx) => void (ctx.stack.cloud.faults.ossBytesPerSecond = 150_000),
    async during(ctx) {
      await killWorkerWhen(ctx, 'upload under way', stage(ctx, 'uploading', true));
      ctx.stack.cloud.faults.ossBytesPerSecond = 0;
    },
  },
  {
    name: 'kill-in-submit',
    runs: 1,
    bounded: 1,
    expect: 'complete',
    // The provider accepts (and bills) the job but its answer never arrives; the worker dies waiting for it.
    before: (ctx) => void (ctx.stack.cloud.faults.dropSubmitResponses = 1),
    async during(ctx) {
      await killWorkerWhen(ctx, 'the provider to accept the job', billedMoreThan(ctx, ctx.stack.cloud.billableJobs()));
    },
  },
  {
    name: 'kill-in-lane-submit',
    runs: 1,
    bounded: 1,
    expect: 'complete',
    // The lane's submit keeps trying through throttling when the worker dies under it: the lane cannot know whether
    // the call made a job, lists the account's jobs, finds none, and sends again (one job billed, not two).
    before: (ctx) => void (ctx.stack.cloud.faults.viapiThrottleRate = 1),
    async during(ctx) {
      const lane = await ctx.stack.laneId();
      const inSubmit = async () => (await pending(ctx, lane).catch(() => [])).some((a) => a.type === 'submitInOrder');
      await killWorkerWhen(ctx, "the lane's submit under way", inSubmit);
      ctx.stack.cloud.faults.viapiThrottleRate = 0;
    },
  },
  {
    name: 'kill-in-poll',
    runs: 1,
    expect: 'complete',
    before: (ctx) => void (ctx.stack.cloud.faults.jobDelayMs = 6000),
    during: (ctx) => killWorkerWhen(ctx, 'polling', stage(ctx, 'polling')),
  },
  {
    name: 'kill-in-download',
    runs: 1,
    expect: 'complete',
    // Large enough that the throttled download outlasts the 2 s between progress reports (the kill waits for one).
    input: (_i, ctx) => ({ source: { kind: 'local', path: ctx.samples.large } }),
    async during(ctx) {
      const billed = ctx.stack.cloud.billableJobs();
      await until('the job to be submitted', async () => (await billedMoreThan(ctx, billed)()) || undefined);
      ctx.stack.cloud.faults.ossBytesPerSecond = 300_000;
      await killWorkerWhen(ctx, 'download under way', stage(ctx, 'downloading', true));
      ctx.stack.cloud.faults.ossBytesPerSecond = 0;
    },
  },
  {
    name: 'kill-in-compensation',
    runs: 1,
    bounded: 1,
    expect: 'Cancelled',
    input: (_i, ctx) => ({ source: { kind: 'local', path: ctx.samples.large } }),
    // Slower still than kill-in-upload's: the cancel must land while parts are in flight, after a progress report.
    before: (ctx) => void (ctx.stack.cloud.faults.ossBytesPerSecond = 100_000),
    async during(ctx) {
      // Cancelled mid-upload: the compensation (abort the multipart upload, remove temporaries) must survive the kill.
      await until('upload under way', async () => (await stage(ctx, 'uploading', true)()) || undefined, 180_000, 50);
      await ctx.stack.vsr.cancel(ctx.ids[0]);
      await ctx.restartWorker();
      ctx.faultAt = Date.now();
      ctx.stack.cloud.faults.ossBytesPerSecond = 0;
    },
  },

  {
    name: 'kill-in-cancel-while-queuing',
    runs: 1,
    bounded: 1,
    expect: 'Cancelled',
    unbilled: 1,
    // Cancelled while its job waits in the provider's queue, during a 5xx burst: the undo (CancelWaitingAsyncJob)
    // keeps retrying when the worker dies under it, and the job is cancelled before it is billed.
    before: (ctx) => void (ctx.stack.cloud.faults.queueDelayMs = 600_000),
    async during(ctx) {
      await until('the job to wait in the queue', async () => (await stage(ctx, 'polling')()) || undefined, 180_000);
      ctx.stack.cloud.faults.viapiServerErrorRate = 1;
      await ctx.stack.vsr.cancel(ctx.ids[0]);
      await killWorkerWhen(ctx, 'the cancel under way', async () => (await pending(ctx)).some((a) => a.type === 'cancelJob'));
      ctx.stack.cloud.faults.viapiServerErrorRate = 0;
    },
  },

  // The Temporal server and the stand-in killed and restarted on their data.
  restartWhilePolling('temporal-restart', (stack) => stack.restartTemporal()),
  restartWhilePolling('standin-restart', (stack) => stack.restartCloud()),

  // The provider misbehaving.
  {
    name: 'viapi-5xx-burst',
    runs: 2,
    bounded: 1,
    expect: 'complete',
    before: (ctx) => void (ctx.stack.cloud.faults.viapiServerErrorRate = 1),
    during: (ctx) => burst(ctx, 5000, () => (ctx.stack.cloud.faults.viapiServerErrorRate = 0)),
  },
  {
    name: 'throttling-burst',
    runs: 2,
    expect: 'complete',
    before: (ctx) => void (ctx.stack.cloud.faults.viapiThrottleRate = 1),
    during: (ctx) => burst(ctx, 5000, () => (ctx.stack.cloud.faults.viapiThrottleRate = 0)),
  },
  {
    name: 'viapi-brownout-50%',
    runs: 2,
    expect: 'complete',
    timeoutSeconds: 900,
    before: (ctx) => void (ctx.stack.cloud.faults.viapiServerErrorRate = 0.5),
  },
  {
    // vsr's own transfers through an OSS brownout: it holds while the source goes up (the stand-in's provider
    // would otherwise fail its own fetch of the video, a different fault: PROCESS_FAILED below).
    name: 'oss-brownout-30%',
    runs: 1,
    expect: 'complete',
    timeoutSeconds: 900,
    input: (_i, ctx) => ({ source: { kind: 'local', path: ctx.samples.large } }),
    before: (ctx) => void (ctx.stack.cloud.faults.ossServerErrorRate = 0.3),
    async during(ctx) {
      await until('the upload to finish', async () => ((await progress(ctx)).stage === 'submitting' ? true : undefined), 900_000, 100);
      ctx.stack.cloud.faults.ossServerErrorRate = 0;
      ctx.faultAt = Date.now();
    },
  },
  { name: 'submit-response-lost', runs: 2, expect: 'complete', before: (ctx) => void (ctx.stack.cloud.faults.dropSubmitResponses = 2) },
  {
    name: 'PROCESS_FAILED',
    runs: 1,
    bounded: 1,
    expect: 'ProviderJobFailed',
    before: (ctx) => void (ctx.stack.cloud.faults.nextJobOutcomes = ['PROCESS_FAILED']),
  },
  {
    name: 'TIMEOUT_FAILED',
    runs: 1,
    expect: 'ProviderJobTimedOut',
    before: (ctx) => void (ctx.stack.cloud.faults.nextJobOutcomes = ['TIMEOUT_FAILED']),
  },
  {
    name: 'LIMIT_RETRY_FAILED',
    runs: 1,
    expect: 'complete',
    input: () => ({ resubmitDelayMs: 1000 }),
    before: (ctx) => void (ctx.stack.cloud.faults.nextJobOutcomes = ['LIMIT_RETRY_FAILED']),
  },
  { name: 'result-url-expired', runs: 1, expect: 'complete', before: (ctx) => void (ctx.stack.cloud.faults.expiredResultUrls = 2) },
  {
    name: 'download-cut',
    runs: 1,
    expect: 'complete',
    before(ctx) {
      ctx.stack.cloud.faults.cutDownloads = 3;
      ctx.stack.cloud.faults.cutDownloadAfterBytes = 50_000;
    },
  },

  // The worker's disk fills during the download (a 200 KiB tmpfs as its work folder, an oss:// destination); the
  // worker must survive, keep retrying, and finish once space is freed (the tmpfs grown).
  {
    name: 'disk-full',
    runs: 1,
    bounded: 1,
    expect: 'complete',
    input: (i, ctx) => ({
      destination: { kind: 'oss', bucket: ctx.stack.cloud.bucket, key: `out/disk-full-${i}-${ctx.ids.length}-${Date.now()}.mp4` },
    }),
    async before(ctx) {
      if (!isRoot) throw new Error('disk-full mounts a tmpfs: run the suite as root (as CI does)');
      const disk = path.join(ctx.stack.dir, 'small-disk');
      fs.mkdirSync(disk, { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=200k', 'tmpfs', disk]);
      await ctx.restartWorker({ VSR_WORK_DIR: disk });
    },
    async during(ctx) {
      await until(
        'a download refused for lack of space',
        async () => (await pending(ctx)).some((a) => a.failure === 'NoSpaceLeft') || undefined,
        180_000,
      );
      if (ctx.worker.child.exitCode !== null) throw new Error('the worker died of the full disk');
      ctx.notes.push('worker survived the full disk');
      execFileSync('mount', ['-o', 'remount,size=64m', path.join(ctx.stack.dir, 'small-disk')]);
      ctx.faultAt = Date.now();
    },
    async after(ctx) {
      const disk = path.join(ctx.stack.dir, 'small-disk');
      ctx.extraLeftovers = fs.readdirSync(disk).length;
      await ctx.restartWorker();
      execFileSync('umount', ['-l', disk]);
    },
  },

  // Load: many pipelines at once while a tenth of the provider's API calls fail (5xx and throttling, half each).
  {
    name: 'load-10%-failing',
    runs: 100,
    bounded: 10,
    expect: 'complete',
    timeoutSeconds: 1800,
    before(ctx) {
      ctx.stack.cloud.faults.viapiServerErrorRate = 0.05;
      ctx.stack.cloud.faults.viapiThrottleRate = 0.05;
    },
  },
];

async function putObject(ctx: ScenarioContext, bucket: string, key: string, file: string): Promise<void> {
  const { cloud } = ctx.stack;
  await createObjectStorage({ endpoint: cloud.ossEndpoint, credential: cloud, pathStyle: true }).put(bucket, key, file);
}
