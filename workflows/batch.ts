// A batch: a manifest fanned out into one child pipeline per video, bounded, paged, continued-as-new.
import {
  ContinueAsNew,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  continueAsNew,
  defineQuery,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { createActivities } from '../activities';
import type { BatchCounts, BatchInput, BatchItemResult, BatchProgress, BatchSummary, ItemStatus } from './batchContract';
import { QUERY_BATCH_PROGRESS } from './batchContract';
import type { SuperResolveInput, SuperResolveResult } from './contract';
import { failureMessage } from './failureMessage';
import { describeLocation } from './ids';
import { VSR_BATCH } from './searchAttributes';
import { superResolveVideo } from './superResolve';

type Activities = ReturnType<typeof createActivities>;

/** Items listed per run by default; each run drains its page, then continues as new, so history stays small at any size. */
export const BATCH_PAGE_SIZE = 100;
const RECENT = 20;

const { listBatchItems, describeItem, writeBatchPage, writeBatchSummary, readBatchMarker, writeBatchMarker } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '15s', // the activities heartbeat on a timer: a dead worker is noticed in seconds
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['InvalidSource', 'SourceNotFound'],
  },
});

export const batchProgressQuery = defineQuery<BatchProgress>(QUERY_BATCH_PROGRESS);

interface BatchState {
  startedAt: number;
  since?: number;
  offset: number;
  page: number;
  total: number;
  counts: BatchCounts;
  recent: BatchProgress['recent'];
}

export async function vsrBatch(input: BatchInput, carried?: BatchState): Promise<BatchSummary> {
  const state: BatchState = carried ?? {
    startedAt: Date.now(),
    offset: 0,
    page: 0,
    total: 0,
    counts: { done: 0, failed: 0, skipped: 0 },
    recent: [],
  };
  const progress: BatchProgress = {
    batchId: input.batchId,
    stage: 'listing',
    total: state.total,
    running: 0,
    recent: state.recent,
    ...state.counts,
  };
  setHandler(batchProgressQuery, () => ({ ...progress, ...state.counts, recent: state.recent }));
  const concurrency = Math.min(100, Math.max(1, input.concurrency ?? 4));
  const { taskQueue } = workflowInfo();
  if (!carried) {
    upsertSearchAttributes([{ key: VSR_BATCH, value: input.batchId }]);
    if (input.sinceLastSuccess) state.since = await readBatchMarker({ output: input.output });
  }

  function record(rows: BatchItemResult[], row: BatchItemResult): void {
    rows.push(row);
    state.counts[row.status] += 1;
    if (row.status !== 'done')
      state.recent = [...state.recent, { source: row.source, status: row.status, reason: row.reason ?? '' }].slice(-RECENT);
  }

  try {
    for (;;) {
      progress.stage = 'listing';
      const page = await listBatchItems({
        batch: input,
        since: state.since,
        offset: state.offset,
        limit: Math.min(500, Math.max(1, input.pageSize ?? BATCH_PAGE_SIZE)),
        forceTag: input.force ? `f${state.startedAt}` : undefined,
      });
      state.total = page.total;
      progress.total = page.total;
      progress.stage = 'running';
      const rows: BatchItemResult[] = [];
      const running = new Set<Promise<void>>();

      for (const item of page.items) {
        while (running.size >= concurrency) await Promise.race(running);
        const base = {
          source: describeLocation(item.source),
          destination: describeLocation(item.destination),
          workflowId: item.workflowId,
        };
        const childInput: SuperResolveInput = { source: item.source, destination: item.destination, bitRate: item.bitRate };
        let child;
        try {
          child = await startChild(superResolveVideo, {
            workflowId: item.workflowId,
            taskQueue,
            args: [childInput],
            // A video done before (by any batch or `vsr upscale`) is not redone; a failed one may be retried.
            workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            // Cancelling the batch cancels its videos, and their compensations run.
            parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
            memo: { source: base.source, destination: base.destination, batchId: input.batchId },
            searchAttributes: { VsrBatchId: [input.batchId] },
          });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          const earlier = await describeItem({ workflowId: item.workflowId });
          const reason = earlier.status === 'COMPLETED' ? 'already done' : `already ${earlier.status.toLowerCase()} elsewhere`;
          record(rows, { ...base, status: 'skipped', reason, ...earlier.result });
          continue;
        }
        const settled: Promise<void> = child
          .result()
          .then(
            (r: SuperResolveResult) => record(rows, { ...base, status: 'done', jobId: r.jobId, sizeBytes: r.sizeBytes, sha256: r.sha256 }),
            (err: unknown) => record(rows, { ...base, status: 'failed' as ItemStatus, reason: failureMessage(err) }),
          )
          .finally(() => {
            running.delete(settled);
            progress.running = running.size;
          });
        running.add(settled);
        progress.running = running.size;
      }
      await Promise.all(running);
      await writeBatchPage({ batchId: input.batchId, output: input.output, page: state.page, rows });
      state.page += 1;
      state.offset += page.items.length;
      if (state.offset >= page.total || page.items.length === 0) break;
      await continueAsNew<typeof vsrBatch>(input, state);
    }
  } catch (err) {
    // Continue-as-new and cancellation pass through untouched; anything else is logged with the batch id.
    if (!(err instanceof ContinueAsNew) && !isCancellation(err))
      log.error('batch failed', { batchId: input.batchId, error: failureMessage(err) });
    throw err;
  }

  progress.stage = 'summarizing';
  const finishedAt = new Date(Date.now()).toISOString();
  const header = {
    batchId: input.batchId,
    total: state.total,
    ...state.counts,
    startedAt: new Date(state.startedAt).toISOString(),
    finishedAt,
  };
  const written = await writeBatchSummary({ batchId: input.batchId, output: input.output, pages: state.page, header });
  // Only a clean run moves the "new since" mark: failed videos must be picked up again next time.
  if (state.counts.failed === 0) await writeBatchMarker({ output: input.output, startedAt: state.startedAt, batchId: input.batchId });
  progress.stage = 'done';
  return { ...header, summaryJson: written.json, summaryCsv: written.csv };
}
