// The provider-facing half of submitting, run by the account's submit lane one call at a time: paced submits that
// say what became of each (accepted, refused, busy, ambiguous), sent one by one with each outcome recorded by the
// lane before the next, and a paced job listing for the lane to reconcile an ambiguous one with. None decides
// anything about paying twice: the lane does (workflows/submitLane.ts).
import { ErrorTypes } from '../workflows/contract';
import type { ActivityDeps } from './deps';
import { laneLink, type LaneLink } from './lane';
import { pause, retryTransient } from './provider/retry';
import { ViapiCallError } from './provider/viapi';
import type {
  ListJobsInput,
  ListJobsOutput,
  ProviderSource,
  ProviderSubmitInput,
  ProviderSubmitOutcome,
  SubmitInOrderInput,
  SubmitInOrderResult,
} from './types';

const AUTH_CODES = /^(InvalidAccessKeyId|SignatureDoesNotMatch|AuthFailed|Forbidden|InvalidSecurityToken|MissingAuthorization)/;
/** Lifetime of the signed URL the provider reads an uploaded source from: it must outlive a queued job. */
const SOURCE_URL_TTL_SECONDS = 24 * 3600;
/** Submit spacing is 1/rate plus this share, so network jitter never brings two submits closer than the limit. */
const PACING_MARGIN = 0.02;
/** How long one submit keeps trying through "busy" answers before handing back to the lane's durable backoff. */
const BUSY_BUDGET_MS = 30_000;
/** QueryAsyncJobList allows one call per 5 s per account; a little more, as clocks differ. */
export const LIST_INTERVAL_MS = 5_200;
/** The job list reaches 24 hours back; a window starting earlier than this (less a margin) cannot be listed whole. */
const LIST_REACH_MS = 23 * 3600 * 1000;
const LIST_PAGE_SIZE = 100;
/**
 * A submitInOrder call starts no send after this long: with a send's busy budget (30 s) it ends well inside its
 * 2-minute timeout, so a timeout means a stalled or dead worker, not a slow provider.
 */
const CALL_SENDING_MS = 60_000;

type Send = (input: ProviderSubmitInput, beforeRetry?: () => Promise<void>) => Promise<ProviderSubmitOutcome>;

/**
 * The lane's requests, sent in order at the pace, each accepted or refused outcome signalled to the lane (and
 * accepted by the server) before the next is sent: the lane durably knows every outcome but the first unrecorded
 * one, and knows that nothing after it was sent. Stops at a busy (after its budget) or ambiguous outcome, for the
 * lane to handle, and before any send once the server no longer counts the call as running.
 */
export async function sendInOrder(
  input: SubmitInOrderInput,
  o: { send: Send; lane: LaneLink; now: () => number; spacingMs: number },
): Promise<SubmitInOrderResult> {
  const started = o.now();
  let lastSentAt = input.lastSentAt;
  for (const [i, r] of input.requests.entries()) {
    if (i > 0 && o.now() - started > CALL_SENDING_MS) return { signalled: i };
    const pace = lastSentAt === undefined ? 0 : lastSentAt + o.spacingMs - o.now();
    try {
      // Checked while the pace is waited out, so it costs no time: the lane holds a timed-out call's first
      // unrecorded request ambiguous only up to the timeout, so nothing may be sent after it.
      await Promise.all([o.lane.confirmRunning(), pace > 0 ? pause(pace) : undefined]);
    } catch {
      return { signalled: i }; // nothing sent for this one: the lane queues it again
    }
    const outcome = await o.send({ providerSource: r.providerSource, bitRateMbps: r.bitRateMbps, lastSentAt }, () =>
      o.lane.confirmRunning(),
    );
    if (outcome.outcome === 'busy' || outcome.outcome === 'ambiguous') return { signalled: i, stopped: outcome };
    // A failed signal fails the call: the lane then holds this request ambiguous and finds its job, if any, by listing.
    await o.lane.record({ call: input.call, requestId: r.requestId, outcome });
    lastSentAt = outcome.sentAt ?? lastSentAt;
  }
  return { signalled: input.requests.length };
}

/** "Not now" answers: the provider surely made no job, so sending again is safe. */
function cleanlyBusy(err: unknown): boolean {
  if (!(err instanceof ViapiCallError)) return false;
  return err.outcome === 'not-sent' || (err.outcome === 'rejected' && (err.throttled || (err.statusCode ?? 0) >= 500));
}

export function makeSubmit(deps: ActivityDeps) {
  const spacingMs = (1000 / (deps.submitsPerSecond ?? 2)) * (1 + PACING_MARGIN);

  function providerUrl(src: ProviderSource): string {
    // Signed here, not earlier, so no signature ever enters workflow history.
    return src.kind === 'url' ? src.url : deps.storage.signGetUrl(src.bucket, src.key, SOURCE_URL_TTL_SECONDS);
  }

  /** One submit, through "busy" answers; `beforeRetry` runs before each try after the first. */
  const send: Send = async (input, beforeRetry) => {
    const url = providerUrl(input.providerSource);
    let sentAt = input.lastSentAt;
    let tries = 0;
    // Every try, retries included, keeps the account's pace: vsr's own traffic never meets Throttling.User.
    const paced = () => (sentAt === undefined ? 0 : sentAt + spacingMs - deps.now());
    try {
      const { jobId } = await retryTransient(
        async () => {
          if (tries++ > 0) await beforeRetry?.();
          sentAt = deps.now();
          return deps.viapi.submit(url, input.bitRateMbps);
        },
        { transient: cleanlyBusy, budgetMs: BUSY_BUDGET_MS, waitMs: paced },
      );
      return { outcome: 'accepted', jobId, sentAt };
    } catch (err) {
      if (!(err instanceof ViapiCallError)) throw err; // the lane reads a failed activity as ambiguous too
      if (err.outcome === 'unknown') return { outcome: 'ambiguous', from: sentAt ?? deps.now(), to: deps.now(), code: err.code, sentAt };
      if (cleanlyBusy(err)) return { outcome: 'busy', code: err.code, message: err.message, sentAt };
      const type = AUTH_CODES.test(err.code) ? ErrorTypes.ProviderAuth : ErrorTypes.ProviderRejected;
      const what = type === ErrorTypes.ProviderAuth ? 'refused the credentials' : 'rejected the job';
      return { outcome: 'refused', type, message: `provider ${what}: ${err.code}: ${err.message}`, sentAt };
    }
  };

  async function listProviderJobs(input: ListJobsInput): Promise<ListJobsOutput> {
    if (input.from < deps.now() - LIST_REACH_MS) return { jobIds: [], listedAt: input.lastListAt ?? 0, beyondReach: true };
    let listedAt = input.lastListAt;
    const jobIds: string[] = [];
    for (let page = 1, pages = 1; page <= pages; page++) {
      const r = await retryTransient(
        async () => {
          listedAt = deps.now();
          return deps.viapi.listJobs({ startTime: input.from, endTime: input.to, pageNum: page, pageSize: LIST_PAGE_SIZE });
        },
        { waitMs: () => (listedAt === undefined ? 0 : listedAt + LIST_INTERVAL_MS - deps.now()), budgetMs: 60_000 },
      );
      pages = r.totalPages;
      jobIds.push(...r.jobs.filter((j) => j.popProduct === 'videoenhan' && j.popApiName === 'SuperResolveVideo').map((j) => j.jobId));
    }
    return { jobIds, listedAt: listedAt ?? deps.now() };
  }

  const lane = laneLink(deps);
  return {
    /** One submit per call: the lane's path before it sent in order (running lanes replaying older histories). */
    submitToProvider: (input: ProviderSubmitInput) => send(input),
    submitInOrder: (input: SubmitInOrderInput) => sendInOrder(input, { send, lane, now: deps.now, spacingMs }),
    listProviderJobs,
  };
}
