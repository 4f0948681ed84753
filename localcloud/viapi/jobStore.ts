// The stand-in's job table, persisted as one JSON file so a restart keeps jobs and the billing count.
import fs from 'node:fs';
import path from 'node:path';
import type { FailedOutcome } from '../faults';

/** GetAsyncJobResult's Status values, as the provider lists them. */
export const JOB_STATUSES = [
  'QUEUING',
  'PROCESSING',
  'PROCESS_SUCCESS',
  'PROCESS_FAILED',
  'TIMEOUT_FAILED',
  'LIMIT_RETRY_FAILED',
  'JOB_CANCELED',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export interface JobRecord {
  jobId: string;
  accessKeyId: string;
  status: JobStatus;
  /** The product and API that created the job (QueryAsyncJobList's PopProduct / PopApiName). */
  popProduct: string;
  popApiName: string;
  videoUrl: string;
  bitRate: number;
  createdAt: number;
  /** When it left QUEUING and when it reached its end (stand-in clock, ms). */
  startedAt?: number;
  endedAt?: number;
  modifiedAt: number;
  resultKey?: string;
  errorCode?: string;
  errorMessage?: string;
  forcedOutcome?: FailedOutcome;
}

export class JobStore {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly file: string;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(dir: string) {
    this.file = path.join(dir, 'jobs.json');
  }

  async open(): Promise<void> {
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    try {
      const saved = JSON.parse(await fs.promises.readFile(this.file, 'utf8')) as JobRecord[];
      // Jobs saved before PopProduct/PopApiName were recorded were all SuperResolveVideo jobs.
      for (const job of saved) {
        job.popProduct ??= 'videoenhan';
        job.popApiName ??= 'SuperResolveVideo';
        this.jobs.set(job.jobId, job);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  get(jobId: string): JobRecord | undefined {
    return this.jobs.get(jobId);
  }

  all(): JobRecord[] {
    return [...this.jobs.values()];
  }

  /** Every accepted job is billable, whatever became of it, except one cancelled while still waiting. */
  billableCount(): number {
    let n = 0;
    for (const job of this.jobs.values()) if (job.status !== 'JOB_CANCELED') n += 1;
    return n;
  }

  upsert(job: JobRecord): void {
    this.jobs.set(job.jobId, job);
    // The in-memory record is the truth while running; a failed write is reported and retried by the next save.
    this.save().catch((err: unknown) => console.error(`[localcloud] could not save ${this.file}: ${String(err)}`));
  }

  /** Coalesces writes: at most one in flight and one queued, each an atomic rename. */
  save(): Promise<void> {
    if (this.dirty) return this.writing;
    this.dirty = true;
    // A failed write must not poison the chain: the next save starts from a settled promise.
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => {
        this.dirty = false;
        const tmp = `${this.file}.tmp`;
        await fs.promises.writeFile(tmp, JSON.stringify(this.all()));
        await fs.promises.rename(tmp, this.file);
      });
    return this.writing;
  }
}
