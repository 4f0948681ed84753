// The provider-facing half of submitting, run by the account's submit lane one call at a time: a paced submit
// that says what became of it (accepted, refused, busy, ambiguous), and a paced job listing for the lane to
// reconcile an ambiguous one with. Neither decides anything about paying twice: the lane does (workflows/submitLane.ts).
import { ErrorTypes } from '../workflows/contract';
import type { ActivityDeps } from './deps';
import { retryTransient } from './provider/retry';
import { ViapiCallError } from './provider/viapi';
import type { ListJobsInput, ListJobsOutput, ProviderSource, ProviderSubmitInput, ProviderSubmitOutcome } from './types';

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

  async function submitToProvider(input: ProviderSubmitInput): Promise<ProviderSubmitOutcome> {
    const url = providerUrl(input.providerSource);
    let sentAt = input.lastSentAt;
    // Every try, retries included, keeps the account's pace: vsr's own traffic never meets Throttling.User.
    const paced = () => (sentAt === undefined ? 0 : sentAt + spacingMs - deps.now());
    try {
      const { jobId } = await retryTransient(
        async () => {
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
  }

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

  return { submitToProvider, listProviderJobs };
}
