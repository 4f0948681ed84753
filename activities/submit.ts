// Submit: never pays twice. Retries only what surely did not reach the provider; an unknown outcome is
// reconciled with QueryAsyncJobList before anything is sent again.
import { Context } from '@temporalio/activity';
import { ErrorTypes } from '../workflows/contract';
import type { ActivityDeps } from './deps';
import { finalError, retryableError } from './failures';
import { ViapiCallError } from './provider/viapi';
import type { ProviderSource, SubmitInput, SubmitOutput } from './types';

const AUTH_CODES = /^(InvalidAccessKeyId|SignatureDoesNotMatch|AuthFailed|Forbidden|InvalidSecurityToken|MissingAuthorization)/;
/** Slack around the window, for clock differences between worker and provider. */
const WINDOW_SLACK_MS = 5 * 60 * 1000;
/** Lifetime of the signed URL the provider reads an uploaded source from: it must outlive a queued job. */
const SOURCE_URL_TTL_SECONDS = 24 * 3600;

/** The part of a URL that identifies the input: signatures and expiry vary between signings. */
export function sourceIdentity(url: string): string {
  try {
    const u = new URL(url);
    return u.searchParams.has('Signature') || u.searchParams.has('OSSAccessKeyId') ? `${u.host}${u.pathname}` : url;
  } catch {
    return url;
  }
}

export function makeSubmit(deps: ActivityDeps) {
  function providerUrl(src: ProviderSource): string {
    // Signed here, not earlier, so no signature ever enters workflow history.
    return src.kind === 'url' ? src.url : deps.storage.signGetUrl(src.bucket, src.key, SOURCE_URL_TTL_SECONDS);
  }

  async function findAccepted(input: SubmitInput, url: string): Promise<string | undefined> {
    const identity = sourceIdentity(url);
    const end = deps.now() + WINDOW_SLACK_MS;
    for (let page = 1; page <= 10; page++) {
      const { jobs, total } = await deps.viapi.listJobs(input.notBefore - WINDOW_SLACK_MS, end, page, 100);
      const mine = jobs.find(
        (j) => j.videoUrl !== undefined && sourceIdentity(j.videoUrl) === identity && !input.excludeJobIds.includes(j.jobId),
      );
      if (mine) return mine.jobId;
      if (page * 100 >= total) return undefined;
    }
    return undefined;
  }

  return async function submitJob(input: SubmitInput): Promise<SubmitOutput> {
    const ctx = Context.current();
    const url = providerUrl(input.providerSource);
    if (ctx.info.attempt > 1) {
      // An earlier attempt may have been accepted before its answer was lost (or its worker died).
      const earlier = await findAccepted(input, url);
      if (earlier) {
        ctx.log.info('submit reconciled with an accepted job', { jobId: earlier });
        return { jobId: earlier, reconciled: true };
      }
    }
    try {
      const { jobId } = await deps.viapi.submit(url, input.bitRateMbps);
      return { jobId, reconciled: false };
    } catch (err) {
      if (!(err instanceof ViapiCallError)) throw err;
      if (err.outcome === 'rejected') {
        if (err.throttled)
          throw retryableError('ProviderThrottled', `submit throttled by the provider (${err.code}); retrying with backoff`);
        if ((err.statusCode ?? 0) >= 500)
          throw retryableError('ProviderUnavailable', `provider answered ${err.statusCode} ${err.code}; no job was created`);
        if (AUTH_CODES.test(err.code))
          throw finalError(ErrorTypes.ProviderAuth, `provider refused the credentials: ${err.code}: ${err.message}`);
        throw finalError(ErrorTypes.ProviderRejected, `provider rejected the job: ${err.code}: ${err.message}`);
      }
      if (err.outcome === 'not-sent') throw retryableError('ProviderUnreachable', `provider unreachable (${err.code}); nothing was sent`);
      // Unknown outcome: look for the job before deciding anything.
      const accepted = await findAccepted(input, url);
      if (accepted) return { jobId: accepted, reconciled: true };
      throw retryableError(
        ErrorTypes.SubmitOutcomeUnknown,
        `submit outcome unknown (${err.code}) and no matching job found yet; the retry reconciles again before resubmitting`,
      );
    }
  };
}
