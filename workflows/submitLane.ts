// The submit lane: one entity workflow per provider account that makes every SuperResolveVideo submit of that
// account, one at a time, across all workers and hosts. QueryAsyncJobList never returns a job's input, so a listed
// job can be attributed only by time: while an attempt is in flight nothing else submits, hence any unknown job
// created between an ambiguous attempt's start and end is that attempt's (README, "Never paying twice").
import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  setHandler,
  setWorkflowOptions,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { ProviderSubmitOutcome, SubmitInOrderResult } from '../activities/types';
import { ErrorTypes, submitTaskQueue } from './contract';
import { LaneBook, REQUESTS_PER_LANE_RUN, type LaneState } from './laneBook';
import { laneStatusQuery, submitOutcomeSignal, submitReplySignal, submitRequestSignal, withdrawSubmitSignal } from './signals';
import type { SubmitReply, SubmitRequest } from './submitLaneContract';

export type { LaneState } from './laneBook';

type Activities = ReturnType<typeof createActivities>;

/**
 * Slack around an ambiguous attempt's window, for the worker's and the provider's clocks. Kept below the 5 s
 * between the two listings of a "nothing found" answer, so a job that shows up later than both cannot fall
 * into the next attempt's window.
 */
export const LIST_SLACK_MS = 3_000;
/** The lane answers a repeated, already answered request again (earlier lanes ignored it). */
const RESEND_ANSWERS_PATCH = 'lane-resends-answers';
/**
 * The lane hands its queue to one submitInOrder call at a time (several sends, each outcome signalled back before the
 * next) instead of one submitToProvider call per request; lanes replaying older histories keep the old path.
 */
const IN_ORDER_PATCH = 'lane-submits-in-order';
/**
 * Requests handed to one submitInOrder call: about 5 s of sends at 2 submits/s. A request withdrawn while its call
 * runs is still sent (and its job cancelled while waiting, unbilled): this bounds how late that can be noticed.
 */
export const REQUESTS_PER_CALL = 10;
/** Listings after an ambiguous attempt before concluding that no job was made (the second one 5 s later, for lag). */
const LISTINGS = 2;

function laneActivities() {
  const taskQueue = submitTaskQueue(workflowInfo().taskQueue);
  const { submitToProvider, submitInOrder } = proxyActivities<Activities>({
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
  return { submitToProvider, submitInOrder, listProviderJobs, cancelJob };
}

type LaneActivities = ReturnType<typeof laneActivities>;

/**
 * With worker versioning on, the lane auto-upgrades (whatever VSR_VERSIONING_BEHAVIOR says for pipelines): it never
 * finishes, so pinned it would keep its first version's workers needed for ever, and every later video's submit
 * would wait on them. Its runs are short (continue-as-new every REQUESTS_PER_LANE_RUN requests) and replay-tested,
 * and a lane change that breaks replay uses `patched()` (docs/deploy.md, "The submit lane across deploys").
 */
setWorkflowOptions(
  // Only on a versioned worker: an unversioned one must send no behaviour (the server refuses it).
  () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'AUTO_UPGRADE' } : {}),
  submitLane,
);

/** The lane: requests in, one paced submit at a time, replies out; continues as new with its book. */
export async function submitLane(carried?: LaneState): Promise<void> {
  const book = new LaneBook(carried);
  const acts = laneActivities();
  setHandler(submitRequestSignal, (r) => {
    const earlier = book.earlierReply(r.requestId);
    if (earlier && patched(RESEND_ANSWERS_PATCH)) deliver(book, r, earlier, true);
    else book.request(r);
  });
  setHandler(withdrawSubmitSignal, ({ requestId }) => book.withdraw(requestId));
  setHandler(submitOutcomeSignal, ({ call, requestId, outcome }) => {
    const request = book.recordOutcome(call, requestId, outcome.sentAt);
    // Late: its call already ended as failed, and the request is reconciled by listing (which finds its job, if any).
    if (!request) return log.warn('outcome of an ended submit call ignored', { call, requestId, outcome: outcome.outcome });
    const reply: SubmitReply =
      outcome.outcome === 'accepted'
        ? { requestId, jobId: outcome.jobId }
        : { requestId, error: { type: outcome.type, message: outcome.message } };
    if (book.finish(request, reply)) deliver(book, request, reply);
  });
  setHandler(laneStatusQuery, () => book.status());
  for (let handled = 0; ;) {
    await condition(() => book.hasWork()); // an idle lane waits on nothing: no timers, no history
    if (handled >= (book.requestsPerRun ?? REQUESTS_PER_LANE_RUN) || workflowInfo().continueAsNewSuggested) {
      await condition(() => book.replying === 0); // a failed reply still has a job to cancel
      book.prune(Date.now());
      await continueAsNew<typeof submitLane>(book.carry());
    }
    const unwanted = book.cancels.shift();
    let took = 1;
    if (unwanted) await cancelUnwanted(acts, unwanted);
    else if (patched(IN_ORDER_PATCH)) took = await serveInOrder(acts, book);
    else await serve(acts, book, book.next());
    handled += took;
  }
}

/**
 * Hands up to REQUESTS_PER_CALL queued requests, in order, to one submitInOrder call; returns how many it took.
 * Each accepted or refused outcome arrives as a signal (replied to at once, above) whose acceptance the activity
 * awaits before its next send. So when the call ends the lane knows every outcome but the first unrecorded one's,
 * and knows nothing after it was sent. Ordering: a signal the server accepted before the call ended precedes the
 * call's result in history; it is handled in an earlier activation, or in the same one before any code the result
 * resumes (an activation runs its signal handlers first), so `call.recorded` is final when the code below runs.
 */
async function serveInOrder(acts: LaneActivities, book: LaneBook): Promise<number> {
  const call = book.startCall(REQUESTS_PER_CALL);
  const started = Date.now();
  let end: SubmitInOrderResult;
  try {
    const requests = call.requests.map(({ requestId, providerSource, bitRateMbps }) => ({ requestId, providerSource, bitRateMbps }));
    end = await acts.submitInOrder({ call: call.id, requests, lastSentAt: book.lastSentAt });
  } catch (err) {
    // The worker died or the call timed out: the first unrecorded request may have been sent, after the last
    // recorded send (or the call's start) and before now (the activity confirms it still runs before each send).
    const from = call.lastSentAt ?? started;
    end = { signalled: call.recorded, stopped: { outcome: 'ambiguous', from, to: Date.now(), code: String(err) } };
  }
  if (call.recorded !== end.signalled)
    log.error('submit call signalled outcomes the lane did not record', { ...end, recorded: call.recorded });
  const [first, ...unsent] = book.endCall();
  book.requeue(unsent); // surely not sent: each send waits for the previous outcome's acceptance
  if (!first) return call.requests.length;
  if (end.stopped) book.sent(end.stopped.sentAt);
  // No stop: the call ended before sending it (its time was up, or the server had given up on the call).
  const reply = end.stopped && (await settle(acts, book, first, end.stopped));
  if (!reply)
    book.requeue([first]); // nothing was made: sent first in the next call, unless withdrawn meanwhile
  else if (book.finish(first, reply)) deliver(book, first, reply);
  return call.requests.length;
}

/** A busy or ambiguous outcome: the reply, or nothing when nothing was made and the request should be sent again. */
async function settle(
  acts: LaneActivities,
  book: LaneBook,
  request: SubmitRequest,
  attempt: ProviderSubmitOutcome & { outcome: 'busy' | 'ambiguous' },
): Promise<SubmitReply | undefined> {
  if (attempt.outcome === 'busy') {
    log.warn('provider busy; the submit waits', { code: attempt.code, requestId: request.requestId });
    await sleep(Math.min(60_000, 2_000 * 2 ** book.busyStreak++));
    return undefined;
  }
  book.busyStreak = 0;
  const found = await reconcile(acts, book, request, attempt);
  if (!found) log.warn('no job made by an ambiguous submit; sending it again', { requestId: request.requestId, code: attempt.code });
  return found;
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

/**
 * The reply, not awaited (the next submit goes on); a requester that has gone away gets its job cancelled, unless
 * this is an earlier answer given again (the job stays the first requester's).
 */
function deliver(book: LaneBook, request: SubmitRequest, reply: SubmitReply, again = false): void {
  book.replying += 1;
  const { workflowId, runId } = request.requester;
  void getExternalWorkflowHandle(workflowId, runId)
    .signal(submitReplySignal, reply)
    .catch(() => {
      log.warn('requester gone; its job is not wanted', { workflowId, requestId: request.requestId, again });
      if ('jobId' in reply && !again) book.cancels.push(reply.jobId);
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
