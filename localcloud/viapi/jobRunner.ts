// Moves jobs QUEUING -> PROCESSING -> PROCESS_SUCCESS / PROCESS_FAILED with bounded parallel work.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { mediaViolation, probe } from '../../activities/media';
import { ErrorTypes } from '../../workflows/contract';
import type { Clock } from '../clock';
import type { Engine } from '../engine/engine';
import type { Faults } from '../faults';
import type { ObjectStore } from '../oss/objectStore';
import type { JobRecord, JobStore } from './jobStore';

export interface JobRunnerOptions {
  store: JobStore;
  objects: ObjectStore;
  resultsBucket: string;
  engine: Engine;
  clock: Clock;
  faults: Faults;
  maxParallel: number;
  workDir: string;
  /** Largest input the provider downloads (bytes). */
  maxInputBytes: number;
}

/** Provider-side error codes for inputs it refuses after accepting the job. */
const INVALID_FILE_CODES: Record<string, string> = {
  [ErrorTypes.FileTooLarge]: 'InvalidFile.Size',
  [ErrorTypes.UnsupportedContainer]: 'InvalidFile.Format',
  [ErrorTypes.ResolutionOutOfRange]: 'InvalidFile.Resolution',
};

class JobFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class JobRunner {
  private readonly queue: string[] = [];
  private running = 0;
  private stopped = false;
  private readonly controllers = new Set<AbortController>();
  private readonly idleWaiters: Array<() => void> = [];

  constructor(private readonly o: JobRunnerOptions) {}

  /** Re-queues work a previous process left unfinished. */
  resume(): void {
    for (const job of this.o.store.all()) {
      if (job.status === 'QUEUING' || job.status === 'PROCESSING') {
        this.o.store.upsert({ ...job, status: 'QUEUING', modifiedAt: this.o.clock.now() });
        this.enqueue(job.jobId);
      }
    }
  }

  enqueue(jobId: string): void {
    this.queue.push(jobId);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.running < this.o.maxParallel && this.queue.length > 0) {
      const jobId = this.queue.shift() as string;
      this.running += 1;
      void this.process(jobId).finally(() => {
        this.running -= 1;
        if (this.running === 0 && this.queue.length === 0) this.idleWaiters.splice(0).forEach((w) => w());
        this.pump();
      });
    }
  }

  private update(job: JobRecord, patch: Partial<JobRecord>): JobRecord {
    const next = { ...job, ...patch, modifiedAt: this.o.clock.now() };
    this.o.store.upsert(next);
    return next;
  }

  private async process(jobId: string): Promise<void> {
    let job = this.o.store.get(jobId);
    if (!job) return;
    job = this.update(job, { status: 'PROCESSING' });
    const controller = new AbortController();
    this.controllers.add(controller);
    const dir = await fs.promises.mkdtemp(path.join(this.o.workDir, `${jobId}-`));
    try {
      if (this.o.faults.jobDelayMs > 0) await sleep(this.o.faults.jobDelayMs, controller.signal);
      if (job.forcedOutcome) {
        this.update(job, {
          status: job.forcedOutcome,
          errorCode: 'InternalError.Injected',
          errorMessage: `injected outcome ${job.forcedOutcome}`,
        });
        return;
      }
      const input = path.join(dir, 'input');
      await this.download(job.videoUrl, input, controller.signal);
      const facts = await probe(input).catch(() => undefined);
      if (!facts) throw new JobFailure('InvalidFile.Format', 'the input is not a readable video');
      const violation = mediaViolation(facts, 'VideoUrl');
      if (violation) throw new JobFailure(INVALID_FILE_CODES[violation.type] ?? 'InvalidFile', violation.message);
      const output = path.join(dir, 'output.mp4');
      await this.o.engine.upscale(input, output, { bitRateMbps: job.bitRate, signal: controller.signal });
      const resultKey = `results/${job.jobId}.mp4`;
      await this.o.objects.put(this.o.resultsBucket, resultKey, fs.createReadStream(output), 'video/mp4');
      this.update(job, { status: 'PROCESS_SUCCESS', resultKey });
    } catch (err) {
      if (this.stopped) return; // shutting down: resume() picks the job up on the next start
      const failure =
        err instanceof JobFailure ? err : new JobFailure('InternalError.Processing', err instanceof Error ? err.message : String(err));
      this.update(job, { status: 'PROCESS_FAILED', errorCode: failure.code, errorMessage: failure.message });
    } finally {
      this.controllers.delete(controller);
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  }

  private async download(url: string, file: string, signal: AbortSignal): Promise<void> {
    let res: Response;
    try {
      res = await fetch(url, { signal });
    } catch (err) {
      throw new JobFailure('InvalidImage.Download', `videoUrl download failed: ${(err as Error).message}`);
    }
    if (!res.ok || !res.body) throw new JobFailure('InvalidImage.Download', `videoUrl download failed: HTTP ${res.status}`);
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > this.o.maxInputBytes)
      throw new JobFailure('InvalidFile.Size', `video is ${declared} bytes, above the ${this.o.maxInputBytes}-byte limit`);
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>), fs.createWriteStream(file)).catch(
      (err: Error) => {
        throw new JobFailure('InvalidImage.Download', `videoUrl download failed: ${err.message}`);
      },
    );
  }

  /** Resolves when no job is queued or running (tests). */
  idle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const c of this.controllers) c.abort();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new Error('aborted'));
      },
      { once: true },
    );
  });
}
