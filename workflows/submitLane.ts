// The submit lane: one entity workflow per provider account that makes every SuperResolveVideo submit of that
// account, one at a time, across all workers and hosts. QueryAsyncJobList never returns a job's input, so a listed
// job can be attributed only by time: while an attempt is in flight nothing else submits, hence any unknown job
// created between an ambiguous attempt's start and end is that attempt's (README, "Never paying twice").
import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { ProviderSubmitOutcome } from '../activities/types';
import { ErrorTypes, submitTaskQueue } from './contract';
import { LaneBook, REQUESTS_PER_LANE_RUN, type LaneState } from './laneBook';
import { laneStatusQuery, submitReplySignal, submitRequestSignal, withdrawSubmitSignal } from './signals';
import type { SubmitReply, SubmitRequest } from './submitLaneContract';

export type { LaneState } from './laneBook';

type Activities = ReturnType<typeof createActivities>;

/**
 * Slack around an ambiguous attempt's window, for the worker's and the provider's clocks. Kept below the 5 s
 * between the two listings of a "nothing found" answer, so a job that shows up later than both cannot fall
 * into the next attempt's window.
 */
export const LIST_SLACK_MS = 3_000;
/** Listings after an ambiguous attempt before concluding that no job was made (the second one 5 s later, for lag). */
const LISTINGS = 2;

function laneActivities() {
  const taskQueue = submitTaskQueue(workflowInfo().taskQueue);
  const { submitToProvider } = proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: '15s',
    retry: { maximumAttempts: 1 }, // a failed attempt may have made a job: the lane reconciles, it never blindly retries
  });
  const { listProviderJobs, cancelJob } = proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: '15s',
    retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute' }, // listing and cancelling are safe to repeat
  });
  return { submitToProvider, listProviderJobs, cancelJob };
}

type LaneActivities = ReturnType<typeof laneActivities>;

/** The lane: requests in, one paced submit at a time, replies out; continues as new with its book. */
export async function submitLane(carried?: LaneState): Promise<void> {
  const book = new LaneBook(carried);
  const acts = laneActivities();
  setHandler(submitRequestSignal, (r) => book.request(r));
  setHandler(withdrawSubmitSignal, ({ requestId }) => book.withdraw(requestId));
  setHandler(laneStatusQuery, () => book.status());
  for (let handled = 0; ; handled++) {
    await condition(() => book.hasWork()); // an idle lane waits on nothing: no timers, no history
    if (handled >= (book.requestsPerRun ?? REQUESTS_PER_LANE_RUN) || workflowInfo().continueAsNewSuggested) {
      await condition(() => book.replying === 0); // a failed reply still has a job to cancel
      book.prune(Date.now());
      await continueAsNew<typeof submitLane>(book.carry());
    }
    const unwanted = book.cancels.shift();
    if (unwanted) await cancelUnwanted(acts, unwanted);
    else await serve(acts, book, book.next());
  }
}

async function serve(acts: LaneActivities, book: LaneBook, request: SubmitRequest): Promise<void> {
  const reply = await submitOne(acts, book, request);
  if (book.finish(request, reply)) deliver(book, request, reply);
}

/** Submits until a job is known or surely refused; reconciles only after an ambiguous outcome. */
async function submitOne(acts: LaneActivities, book: LaneBook, request: SubmitRequest): Promise<SubmitReply> {
  const { requestId } = request;
  for (let busy = 0; ;) {
    const started = Date.now();
    const attempt = await acts
      .submitToProvider({ providerSource: request.providerSource, bitRateMbps: request.bitRateMbps, lastSentAt: book.lastSentAt })
      // The worker died or the activity timed out mid-call: whatever it sent may have made a job.
      .catch((err: unknown): ProviderSubmitOutcome => ({ outcome: 'ambiguous', from: started, to: Date.now(), code: String(err) }));
    book.sent(attempt.sentAt);
    if (attempt.outcome === 'accepted') return { requestId, jobId: attempt.jobId };
    if (attempt.outcome === 'refused') return { requestId, error: { type: attempt.type, message: attempt.message } };
    if (attempt.outcome === 'busy') {
      log.warn('provider busy; the submit waits', { code: attempt.code, requestId });
      await sleep(Math.min(60_000, 2_000 * 2 ** busy++));
    } else {
      const found = await reconcile(acts, book, request, attempt);
      if (found) return found;
      log.warn('no job made by an ambiguous submit; sending it again', { requestId, code: attempt.code });
    }
    // Nothing was made; a requester that has gone meanwhile wants nothing sent.
    if (book.isWithdrawn(requestId)) return { requestId, error: { type: ErrorTypes.ProviderRejected, message: 'withdrawn' } };
  }
}

/**
 * After an ambiguous attempt: list the account's SuperResolveVideo jobs created within its window and adopt the
 * one job nobody knows. None (twice, for listing lag): nothing was made. More than one: something else submits
 * on this account, so no job can be attributed; the request fails rather than guess or pay twice.
 */
async function reconcile(
  acts: LaneActivities,
  book: LaneBook,
  request: SubmitRequest,
  a: { from: number; to: number },
): Promise<SubmitReply | undefined> {
  const { requestId } = request;
  for (let look = 0; look < LISTINGS; look++) {
    const listed = await acts.listProviderJobs({ from: a.from - LIST_SLACK_MS, to: a.to + LIST_SLACK_MS, lastListAt: book.lastListAt });
    if (listed.beyondReach) return unknownOutcome(requestId, 'it was sent longer ago than the job list (24 hours) reaches');
    book.lastListAt = listed.listedAt;
    const unknown = listed.jobIds.filter((id) => !book.knows(id));
    if (unknown.length === 1) {
      log.info('adopted the job an ambiguous submit made', { requestId, jobId: unknown[0] });
      return { requestId, jobId: unknown[0], adopted: true };
    }
    if (unknown.length > 1)
      return unknownOutcome(
        requestId,
        `${unknown.length} unknown jobs (${unknown.join(', ')}) were created meanwhile: another client submits on this account`,
      );
  }
  return undefined;
}

function unknownOutcome(requestId: string, why: string): SubmitReply {
  const message = `submit answer lost and no job can be attributed to it: ${why}; not sent again, so as never to pay twice`;
  return { requestId, error: { type: ErrorTypes.SubmitOutcomeUnknown, message } };
}

/** The reply, not awaited (the next submit goes on); a requester that has gone away gets its job cancelled. */
function deliver(book: LaneBook, request: SubmitRequest, reply: SubmitReply): void {
  book.replying += 1;
  const { workflowId, runId } = request.requester;
  void getExternalWorkflowHandle(workflowId, runId)
    .signal(submitReplySignal, reply)
    .catch(() => {
      log.warn('requester gone; its job is not wanted', { workflowId, requestId: request.requestId });
      if ('jobId' in reply) book.cancels.push(reply.jobId);
    })
    .finally(() => (book.replying -= 1));
}

async function cancelUnwanted(acts: LaneActivities, jobId: string): Promise<void> {
  try {
    const { status } = await acts.cancelJob({ jobId });
    log.info('unwanted job', { jobId, status });
  } catch (err) {
    log.error('could not cancel an unwanted job', { jobId, error: String(err) });
  }
}
