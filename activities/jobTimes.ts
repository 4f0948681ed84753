// How long the provider takes to process a job, learned from the jobs this worker saw finish, so the workflow can
// poll around the expected finish instead of backing off blindly (workflows/pollSchedule.ts). A hint only: it
// reaches the workflow as a local activity's result (so replay stays deterministic), a worker that has seen
// nothing answers "unknown" (the schedule then backs off as before), and a wrong guess costs polls, never a job.
import type { VideoFacts } from '../workflows/contract';

export type JobShape = Pick<VideoFacts, 'durationSeconds' | 'width' | 'height'>;

/** The work in a job: megapixel-seconds of input (frames x pixels, up to the frame rate). */
export function workOf(s: JobShape): number {
  return Math.max(1e-6, (Math.max(0, s.durationSeconds) * Math.max(1, s.width) * Math.max(1, s.height)) / 1e6);
}

/**
 * Processing time = fixed + rate x work, fitted by least squares over recent jobs (older ones weigh less);
 * while the jobs seen are all about the same size, time is taken as proportional to work.
 */
export class JobTimeModel {
  private weight = 0;
  private sw = 0;
  private st = 0;
  private sww = 0;
  private swt = 0;

  /** `keep`: how much each older observation still weighs when a new one arrives. */
  constructor(private readonly keep = 0.85) {}

  observe(shape: JobShape, ms: number): void {
    if (!Number.isFinite(ms) || ms <= 0) return;
    const w = workOf(shape);
    this.weight = this.weight * this.keep + 1;
    this.sw = this.sw * this.keep + w;
    this.st = this.st * this.keep + ms;
    this.sww = this.sww * this.keep + w * w;
    this.swt = this.swt * this.keep + w * ms;
  }

  /** Expected processing time in ms, or undefined before any job was seen. */
  estimate(shape: JobShape): number | undefined {
    if (this.weight === 0) return undefined;
    const w = workOf(shape);
    const mw = this.sw / this.weight;
    const mt = this.st / this.weight;
    const variance = this.sww / this.weight - mw * mw;
    // Sizes spread enough (over 10% either way) to tell a fixed cost from a per-work one.
    if (variance > (0.1 * mw) ** 2) {
      const rate = (this.swt / this.weight - mw * mt) / variance;
      const fixed = mt - rate * mw;
      if (rate > 0 && fixed >= 0) return Math.round(fixed + rate * w);
    }
    return Math.round((mt / mw) * w);
  }
}

/** The local activities the workflow asks and tells; one model per worker (per `createActivities`). */
export function makeJobTimes(model: JobTimeModel = new JobTimeModel()) {
  return {
    estimateJobTime: async (input: { shape: JobShape }): Promise<{ estimateMs?: number }> => ({ estimateMs: model.estimate(input.shape) }),
    recordJobTime: async (input: { shape: JobShape; processingMs: number }): Promise<void> =>
      model.observe(input.shape, input.processingMs),
  };
}
