// Moves jobs QUEUING -> PROCESSING -> PROCESS_SUCCESS / PROCESS_FAILED with bounded parallel work.
// A job waits QUEUING until a slot is free (and any injected queue delay has passed on the stand-in's
// clock); only then can CancelWaitingAsyncJob no longer stop it.
import fs from 'node:fs';
import path from 'node:path';
import type { ControlledClock } from '../clock';
import type { Engine } from '../engine/engine';
import type { Faults } from '../faults';
import { probeFile } from '../media/probe';
import { inputRefusal } from '../media/rules';
import type { ObjectStore } from '../oss/objectStore';
import type { JobRecord, JobStore } from './jobStore';
import { fetchSource, FetchRefused, type SourceFetchOptions } from './sourceFetch';

export interface JobRunnerOptions {
  store: JobStore;
  objects: ObjectStore;
  resultsBucket: string;
  engine: Engine;
  clock: ControlledClock;
  faults: Faults;
  maxParallel: number;
  workDir: string;
  source: SourceFetchOptions;
}

class JobFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class JobRunner {
  /** Waiting jobs, in submit order, with the earliest time each may start. */
  private readonly queue: Array<{ jobId: string; notBefore: number }> = [];
  private running = 0;
  private stopped = false;
  private wake?: AbortController;
  private readonly controllers = new Set<AbortController>();
  private readonly idleWaiters: Array<() => void> = [];

  constructor(private readonly o: JobRunnerOptions) {}

  /** Re-queues work a previous process left unfinished. */
  resume(): void {
    for (const job of this.o.store.all()) {
      if (job.status === 'QUEUING' || job.status === 'PROCESSING') {
        this.o.store.upsert({ ...job, status: 'QUEUING', startedAt: undefined, modifiedAt: this.o.clock.now() });
        this.queue.push({ jobId: job.jobId, notBefore: 0 });
      }
    }
    this.pump();
  }

  enqueue(jobId: string): void {
    this.queue.push({ jobId, notBefore: this.o.clock.now() + this.o.faults.queueDelayMs });
    this.pump();
  }

  /** Cancels a job that is still waiting; false when it has already started (or is unknown here). */
  cancelWaiting(jobId: string): boolean {
    const at = this.queue.findIndex((q) => q.jobId === jobId);
    if (at < 0) return false;
    this.queue.splice(at, 1);
    const job = this.o.store.get(jobId);
    if (job) this.update(job, { status: 'JOB_CANCELED', endedAt: this.o.clock.now() });
    this.notifyIdle();
    this.pump(); // re-arms (or drops) the wake-up for held jobs
    return true;
  }

  private pump(): void {
    this.wake?.abort();
    this.wake = undefined;
    while (!this.stopped && this.running < this.o.maxParallel) {
      const now = this.o.clock.now();
      const at = this.queue.findIndex((q) => q.notBefore <= now);
      if (at < 0) break;
      const [{ jobId }] = this.queue.splice(at, 1);
      this.running += 1;
      void this.process(jobId).finally(() => {
        this.running -= 1;
        this.notifyIdle();
        this.pump();
      });
    }
    if (this.stopped || this.running >= this.o.maxParallel || this.queue.length === 0) return;
    // Jobs held back by a queue delay: look again when the earliest may start.
    const wake = new AbortController();
    this.wake = wake;
    this.o.clock.until(Math.min(...this.queue.map((q) => q.notBefore)), wake.signal).then(
      () => this.pump(),
      () => undefined,
    );
  }

  private notifyIdle(): void {
    if (this.running === 0 && this.queue.length === 0) this.idleWaiters.splice(0).forEach((w) => w());
  }

  private update(job: JobRecord, patch: Partial<JobRecord>): JobRecord {
    const next = { ...job, ...patch, modifiedAt: this.o.clock.now() };
    this.o.store.upsert(next);
    return next;
  }

  private async process(jobId: string): Promise<void> {
    let job = this.o.store.get(jobId);
    if (!job || job.status !== 'QUEUING') return;
    job = this.update(job, { status: 'PROCESSING', startedAt: this.o.clock.now() });
    const controller = new AbortController();
    this.controllers.add(controller);
    const dir = await fs.promises.mkdtemp(path.join(this.o.workDir, `${jobId}-`));
    try {
      if (this.o.faults.jobDelayMs > 0) await this.o.clock.sleep(this.o.faults.jobDelayMs, controller.signal);
      if (job.forcedOutcome) throw new JobFailure('InternalError.Injected', `injected outcome ${job.forcedOutcome}`);
      const input = path.join(dir, 'input');
      const size = await fetchSource(job.videoUrl, input, this.o.source, controller.signal);
      const facts = await probeFile(input).catch(() => undefined);
      const refusal = inputRefusal(facts, size);
      if (refusal) throw new JobFailure(refusal.code, refusal.message);
      const output = path.join(dir, 'output.mp4');
      await this.o.engine.upscale(input, output, { bitRateMbps: job.bitRate, signal: controller.signal });
      const resultKey = `results/${job.jobId}.mp4`;
      await this.o.objects.put(this.o.resultsBucket, resultKey, fs.createReadStream(output), { 'content-type': 'video/mp4' });
      this.update(job, { status: 'PROCESS_SUCCESS', resultKey, endedAt: this.o.clock.now() });
    } catch (err) {
      if (this.stopped) return; // shutting down: resume() picks the job up on the next start
      const failure =
        err instanceof JobFailure || err instanceof FetchRefused
          ? { code: err instanceof FetchRefused ? err.refusal.code : err.code, message: err.message }
          : { code: 'InternalError.Processing', message: err instanceof Error ? err.message : String(err) };
      this.update(job, {
        status: job.forcedOutcome ?? 'PROCESS_FAILED',
        errorCode: failure.code,
        errorMessage: failure.message,
        endedAt: this.o.clock.now(),
      });
    } finally {
      this.controllers.delete(controller);
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  }

  /** Resolves when no job is queued or running (tests). */
  idle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    this.wake?.abort();
    for (const c of this.controllers) c.abort();
  }
}
