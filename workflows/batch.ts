// A batch: a manifest fanned out into one child pipeline per video, bounded, paged, continued-as-new.
import {
  ContinueAsNew,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { createActivities } from '../activities';
import {
  BATCH_LIMITS,
  type BatchCounts,
  type BatchInput,
  type BatchItemResult,
  type BatchPage,
  type BatchProgress,
  type BatchSummary,
} from './batchContract';
import { ErrorTypes, type SuperResolveResult } from './contract';
import { failureMessage } from './failureMessage';
import { describeLocation } from './locations';
import { VSR_BATCH } from './searchAttributes';
import { batchProgressQuery } from './signals';
import { superResolveVideo } from './superResolve';

type Activities = ReturnType<typeof createActivities>;

/** Failures and skips the progress query shows (the summary has all of them). */
const RECENT = 20;
/**
 * Pages a run lists before it drains and continues as new (500 videos at the default page size). Within a run the
 * next page is listed as soon as the current one's last video has started, so the pipelines do not run dry at
 * each page's end (that cost about 2.5 s of the provider's submit budget per page); history stays bounded (about
 * 7 events per video, and the server's continue-as-new suggestion is heeded too).
 */
const PAGES_PER_RUN = 5;
/** Runs that began with one page per run (draining at each page's end) replay that way. */
const OVERLAP_PAGES_PATCH = 'batch-overlaps-pages';

const { listBatchItems, describeItem, writeBatchPage, writeBatchSummary, readBatchMarker, writeBatchMarker } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '15s', // the activities heartbeat on a timer: a dead worker is noticed in seconds
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    nonRetryableErrorTypes: [ErrorTypes.InvalidSource, ErrorTypes.SourceNotFound, ErrorTypes.InvalidManifest],
  },
});

/** What a run hands to the next one through continue-as-new. */
interface BatchState {
  startedAt: number;
  since?: number;
  offset: number;
  page: number;
  total: number;
  counts: BatchCounts;
  recent: BatchProgress['recent'];
}

/** Pages of videos as children, each page's rows written as it settles; up to PAGES_PER_RUN a run, then the next run, or the summary. */
export async function vsrBatch(input: BatchInput, carried?: BatchState): Promise<BatchSummary> {
  const run = new BatchRun(input, carried);
  setHandler(batchProgressQuery, () => run.progress());
  try {
    if (!carried) {
      upsertSearchAttributes([{ key: VSR_BATCH, value: input.batchId }]);
      if (input.sinceLastSuccess) run.state.since = await readBatchMarker({ output: input.output });
    }
    const more = await runPages(run, patched(OVERLAP_PAGES_PATCH) ? PAGES_PER_RUN : 1);
    if (more) await continueAsNew<typeof vsrBatch>(input, run.state);
    return await summarize(run);
  } catch (err) {
    // Continue-as-new and cancellation pass through untouched; anything else is logged with the batch id.
    if (!(err instanceof ContinueAsNew) && !isCancellation(err))
      log.error('batch failed', { batchId: input.batchId, error: failureMessage(err) });
    throw err;
  }
}

class BatchRun {
  readonly state: BatchState;
  stage: BatchProgress['stage'] = 'listing';
  running = 0;

  constructor(
    readonly input: BatchInput,
    carried?: BatchState,
  ) {
    this.state = carried ?? { startedAt: Date.now(), offset: 0, page: 0, total: 0, counts: { done: 0, failed: 0, skipped: 0 }, recent: [] };
  }

  progress(): BatchProgress {
    const { total, counts, recent } = this.state;
    return { batchId: this.input.batchId, stage: this.stage, total, running: this.running, recent, ...counts };
  }

  record(rows: BatchItemResult[], row: BatchItemResult): void {
    rows.push(row);
    this.state.counts[row.status] += 1;
    if (row.status !== 'done')
      this.state.recent = [...this.state.recent, { source: row.source, status: row.status, reason: row.reason ?? '' }].slice(-RECENT);
  }
}

async function listPage(run: BatchRun): Promise<BatchPage> {
  const { input, state } = run;
  if (run.running === 0) run.stage = 'listing'; // a page listed while videos run leaves the stage 'running'
  const { min, max } = BATCH_LIMITS.pageSize;
  const page = await listBatchItems({
    batch: input,
    since: state.since,
    offset: state.offset,
    limit: Math.min(max, Math.max(min, input.pageSize ?? BATCH_LIMITS.pageSize.default)),
    forceTag: input.force ? `f${state.startedAt}` : undefined,
  });
  state.total = page.total;
  return page;
}

/**
 * Pages of the manifest as child pipelines, at most `concurrency` at once across pages; one bad video fails only
 * itself. Lists the next page once the current one's last video has started, up to `pagesPerRun` pages; each
 * page's rows are written once its videos have settled. Resolves after every started video has settled, true
 * when the manifest has more pages for the next run.
 */
async function runPages(run: BatchRun, pagesPerRun: number): Promise<boolean> {
  const { min, max } = BATCH_LIMITS.concurrency;
  const concurrency = Math.min(max, Math.max(min, run.input.concurrency ?? BATCH_LIMITS.concurrency.default));
  const running = new Set<Promise<void>>();
  const pagesWritten: Array<Promise<void>> = [];
  for (let listed = 1; ; listed++) {
    const page = await listPage(run);
    run.stage = 'running';
    const rows: BatchItemResult[] = [];
    const settling: Array<Promise<void>> = [];
    for (const item of page.items) {
      while (running.size >= concurrency) await Promise.race(running);
      const base = { source: describeLocation(item.source), destination: describeLocation(item.destination), workflowId: item.workflowId };
      const child = await startItem(run, item, base);
      if (!child) {
        run.record(rows, { ...base, ...(await describeEarlier(item.workflowId)) });
        continue;
      }
      const settled: Promise<void> = child
        .result()
        .then(
          (r: SuperResolveResult) =>
            run.record(rows, { ...base, status: 'done', jobId: r.jobId, sizeBytes: r.sizeBytes, sha256: r.sha256 }),
          (err: unknown) => run.record(rows, { ...base, status: 'failed', reason: failureMessage(err) }),
        )
        .finally(() => {
          running.delete(settled);
          run.running = running.size;
        });
      running.add(settled);
      settling.push(settled);
      run.running = running.size;
    }
    const pageNumber = run.state.page;
    pagesWritten.push(
      Promise.all(settling).then(() => writeBatchPage({ batchId: run.input.batchId, output: run.input.output, page: pageNumber, rows })),
    );
    run.state.page += 1;
    run.state.offset += page.items.length;
    const more = run.state.offset < page.total && page.items.length > 0;
    if (!more || listed >= pagesPerRun || workflowInfo().continueAsNewSuggested) {
      await Promise.all(pagesWritten);
      return more;
    }
  }
}

function overwriteOf(input: BatchInput): true | undefined {
  return input.overwrite || input.force ? true : undefined;
}

/** Starts one video's pipeline; undefined when its workflow id was started before (by any batch or `vsr upscale`). */
async function startItem(run: BatchRun, item: BatchPage['items'][number], base: { source: string; destination: string }) {
  try {
    return await startChild(superResolveVideo, {
      workflowId: item.workflowId,
      taskQueue: workflowInfo().taskQueue,
      // Redoing (force) means replacing the earlier outputs; otherwise an existing output is refused unless asked.
      args: [{ source: item.source, destination: item.destination, bitRateMbps: item.bitRateMbps, overwrite: overwriteOf(run.input) }],
      // A video done before is not redone; a failed one may be retried.
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      // Cancelling the batch cancels its videos, and their compensations run.
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      memo: { ...base, batchId: run.input.batchId },
      searchAttributes: { VsrBatchId: [run.input.batchId] },
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return undefined;
    throw err;
  }
}

/** A skipped item's row: what became of the earlier workflow with its id. */
async function describeEarlier(workflowId: string): Promise<Pick<BatchItemResult, 'status' | 'reason' | 'jobId' | 'sizeBytes' | 'sha256'>> {
  const earlier = await describeItem({ workflowId });
  const reason = earlier.status === 'COMPLETED' ? 'already done' : `already ${earlier.status.toLowerCase()} elsewhere`;
  return { status: 'skipped', reason, ...earlier.result };
}

/** The JSON and CSV summaries; only a clean run moves the "new since" mark, so failed videos are listed again next time. */
async function summarize(run: BatchRun): Promise<BatchSummary> {
  const { input, state } = run;
  run.stage = 'summarizing';
  const header = {
    batchId: input.batchId,
    total: state.total,
    ...state.counts,
    startedAt: new Date(state.startedAt).toISOString(),
    finishedAt: new Date(Date.now()).toISOString(),
  };
  const written = await writeBatchSummary({ batchId: input.batchId, output: input.output, pages: state.page, header });
  if (state.counts.failed === 0) await writeBatchMarker({ output: input.output, startedAt: state.startedAt, batchId: input.batchId });
  run.stage = 'done';
  return { ...header, summaryJson: written.json, summaryCsv: written.csv };
}
