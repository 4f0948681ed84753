// Stub activities for workflow tests: a scripted provider that records every call in order.
import { Context } from '@temporalio/activity';
import type { DownloadOutput, ProviderSource, ValidatedInput } from '../../activities/types';
import type { BatchItemResult, BatchPage } from '../../workflows/batchContract';
import type { JobStatus, VideoFacts } from '../../workflows/contract';
import { submitReplySignal } from '../../workflows/signals';
import type { SubmitReply, SubmitRequest } from '../../workflows/submitLaneContract';
import type { Activities } from './workflowEnv';

export interface Call {
  name: keyof Activities;
  input: unknown;
  /** When the workflow scheduled it (the test server's clock). */
  scheduledAt: number;
}

export const SOURCE_FACTS: VideoFacts = {
  formatName: 'mov,mp4',
  videoCodec: 'h264',
  width: 640,
  height: 360,
  durationSeconds: 2,
  bitRate: 1_000_000,
  sizeBytes: 100_000,
  hasAudio: true,
};

/** What validation answers for a good 640x360 source. */
export function validated(providerSource?: ProviderSource): ValidatedInput {
  return { facts: SOURCE_FACTS, provider: 'local', providerSource, workBucket: 'work' };
}

export class FakeActivities {
  readonly calls: Call[] = [];
  /** What each submitted job reports on successive polls (the last repeats); job n gets entry n. */
  jobs: JobStatus[][] = [['PROCESSING', 'PROCESS_SUCCESS']];
  /**
   * How the (stubbed) submit lane answers a request: job J<n> by default; an error; or undefined for no answer
   * (the request stays queued in the lane).
   */
  laneReply: (request: SubmitRequest, n: number) => SubmitReply | undefined = (r, n) => ({ requestId: r.requestId, jobId: `J${n}` });
  /** What cancelling a job finds (JOB_CANCELED: it was still waiting). */
  cancelStatus: JobStatus = 'JOB_CANCELED';
  /** Where the provider reads the source; undefined: it must be uploaded first. */
  providerSource?: ProviderSource;
  /** A batch's manifest, as listing would return it. */
  items: BatchPage['items'] = [];
  /** Rows of each batch page written, by page number. */
  readonly pages = new Map<number, BatchItemResult[]>();
  marker?: number;
  private submitted = 0;
  private readonly polls = new Map<string, number>();

  constructor(readonly overrides: Partial<Activities> = {}) {}

  names(): string[] {
    return this.calls.map((c) => c.name);
  }

  count(name: keyof Activities): number {
    return this.calls.filter((c) => c.name === name).length;
  }

  inputsOf<T>(name: keyof Activities): T[] {
    return this.calls.filter((c) => c.name === name).map((c) => c.input as T);
  }

  activities(): Partial<Activities> {
    const defaults: Partial<Activities> = {
      validateInput: async () => validated(this.providerSource),
      uploadSource: async (input) => ({ bucket: input.bucket, key: input.key, sizeBytes: SOURCE_FACTS.sizeBytes }),
      requestSubmit: async (request) => {
        const reply = this.laneReply(request, ++this.submitted);
        const { workflowId, runId } = request.requester;
        if (reply) await Context.current().client.workflow.getHandle(workflowId, runId).signal(submitReplySignal, reply);
      },
      withdrawSubmit: async () => undefined,
      cancelJob: async () => ({ status: this.cancelStatus }),
      pollJob: async ({ jobId }) => {
        const script = this.jobs[Math.min(Number(jobId.slice(1)) - 1, this.jobs.length - 1)];
        const n = this.polls.get(jobId) ?? 0;
        this.polls.set(jobId, n + 1);
        return { status: script[Math.min(n, script.length - 1)] };
      },
      downloadResult: async (input): Promise<DownloadOutput> => ({
        sizeBytes: 400_000,
        sha256: 'f'.repeat(64),
        facts: { ...SOURCE_FACTS, width: input.expectedWidth, height: input.expectedHeight, bitRate: 3_000_000, sizeBytes: 400_000 },
      }),
      removeTemporaryObjects: async () => ({ objects: 1, uploads: 0, skipped: 0 }),
      removePartialOutput: async () => undefined,
      listBatchItems: async ({ offset, limit }) => ({ items: this.items.slice(offset, offset + limit), total: this.items.length }),
      writeBatchPage: async ({ page, rows }) => void this.pages.set(page, rows),
      writeBatchSummary: async ({ batchId }) => ({ json: `/out/vsr-batch-${batchId}.json`, csv: `/out/vsr-batch-${batchId}.csv` }),
      readBatchMarker: async () => this.marker,
      writeBatchMarker: async ({ startedAt }) => void (this.marker = startedAt),
    };
    const all = { ...defaults, ...this.overrides } as Record<string, (input: unknown) => Promise<unknown>>;
    // Recorded on entry, so a call that blocks or fails still shows in the order.
    return Object.fromEntries(
      Object.entries(all).map(([name, fn]) => [
        name,
        (input: unknown) => {
          this.calls.push({ name: name as keyof Activities, input, scheduledAt: Context.current().info.scheduledTimestampMs });
          return fn(input);
        },
      ]),
    );
  }
}
