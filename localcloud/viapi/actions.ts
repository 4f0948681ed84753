// The actions the stand-in serves, keyed by (version, action):
// - videoenhan 2020-03-20: SuperResolveVideo, GetAsyncJobResult;
// - viapi 2023-01-17: QueryAsyncJobList, GetAsyncJobResult, CancelWaitingAsyncJob.
import { createHash } from 'node:crypto';
import type { Clock } from '../clock';
import { roll, type Faults } from '../faults';
import { parseBitRate, SUBMITTED_MESSAGE, videoUrlRefusal } from '../media/rules';
import { signGetUrl } from '../oss/signature';
import type { RateLimiter } from '../rateLimiter';
import type { JobRunner } from './jobRunner';
import { JOB_STATUSES, type JobRecord, type JobStatus, type JobStore } from './jobStore';
import { actionKey, invalid, missing, RpcError, throttled, type RpcAction, type RpcCall } from './rpc';

export interface ActionDeps {
  store: JobStore;
  runner: JobRunner;
  clock: Clock;
  faults: Faults;
  submitLimiter: RateLimiter;
  /** Signs result URLs: the OSS endpoint, results bucket, and the provider's own key. */
  results: { ossEndpoint: string; bucket: string; accessKeyId: string; secret: string };
}

/** QueryAsyncJobList: "当前接口调用每5秒内只允许请求1次" and "无法查询时间长度超过24小时以外的数据". */
export const JOB_LIST_INTERVAL_MS = 5000;
export const JOB_LIST_MAX_SPAN_MS = 24 * 3600 * 1000;
const PAGE_SIZE = { default: 20, max: 500 } as const; // "每页查询条数,最大500条", example 20

/**
 * `yyyy-MM-dd HH:mm:ss` in Beijing time (UTC+8): the format of the document's examples, and the
 * time zone of the cn-shanghai region that answers, which has no daylight saving.
 */
const BEIJING_MS = 8 * 3600 * 1000;
export function formatBeijing(ms: number): string {
  return new Date(ms + BEIJING_MS).toISOString().slice(0, 19).replace('T', ' ');
}
export function parseBeijing(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) - BEIJING_MS;
  return formatBeijing(ms) === text ? ms : undefined; // rejects 2023-02-30 and 24:00:00
}

/** The account (CallerParentId) an access key belongs to: one account per key in the stand-in. */
export function accountOf(accessKeyId: string): string {
  const n = BigInt(`0x${createHash('sha256').update(accessKeyId).digest('hex').slice(0, 16)}`) % 10n ** 15n;
  return `1${n.toString().padStart(15, '0')}`;
}

function positiveInt(params: Map<string, string>, name: string, fallback: number, max: number): number {
  const raw = params.get(name);
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw invalid(`${name} ${JSON.stringify(raw)} must be a positive integer.`);
  if (Number(raw) > max) throw invalid(`${name} ${raw} is above the maximum of ${max}.`);
  return Number(raw);
}

export function createActions(o: ActionDeps): Map<string, RpcAction> {
  const lastJobList = new Map<string, number>();

  function ownJob(call: RpcCall): JobRecord {
    const jobId = call.params.get('JobId');
    if (!jobId) throw missing('JobId');
    const job = o.store.get(jobId);
    if (!job || job.accessKeyId !== call.accessKeyId)
      throw new RpcError(404, 'InvalidJobId.NotFound', `Specified job ${jobId} is not found.`);
    return job;
  }

  function resultUrl(job: JobRecord): string | undefined {
    if (job.status !== 'PROCESS_SUCCESS' || !job.resultKey) return undefined;
    // Each poll hands out a URL signed afresh, valid resultUrlTtlSeconds from now (30 minutes by default).
    let ttl = o.faults.resultUrlTtlSeconds;
    if (o.faults.expiredResultUrls > 0) {
      o.faults.expiredResultUrls -= 1;
      ttl = -60;
    }
    const expires = Math.floor(o.clock.now() / 1000) + ttl;
    return signGetUrl(o.results.ossEndpoint, o.results.bucket, job.resultKey, o.results.accessKeyId, o.results.secret, expires);
  }

  function jobResult(job: JobRecord) {
    const url = resultUrl(job);
    return {
      JobId: job.jobId,
      Status: job.status,
      Result: url ? JSON.stringify({ VideoUrl: url }) : undefined,
      ErrorCode: job.errorCode,
      ErrorMessage: job.errorMessage,
    };
  }

  const getAsyncJobResult: RpcAction = (call) => ({ RequestId: call.requestId, Data: jobResult(ownJob(call)) });

  const superResolveVideo: RpcAction = (call) => {
    const videoUrl = call.params.get('VideoUrl');
    const refused = videoUrlRefusal(videoUrl);
    if (refused) throw new RpcError(400, refused.code, refused.message);
    const bitRate = parseBitRate(call.params.get('BitRate'));
    if (typeof bitRate !== 'number') throw invalid(bitRate.message);
    if (!o.submitLimiter.take(call.accessKeyId, o.clock.now())) throw throttled();
    const now = o.clock.now();
    // The RequestId of the accepted call is the job id.
    const job: JobRecord = {
      jobId: call.requestId,
      accessKeyId: call.accessKeyId,
      popProduct: 'videoenhan',
      popApiName: 'SuperResolveVideo',
      status: 'QUEUING',
      videoUrl: videoUrl as string,
      bitRate,
      createdAt: now,
      modifiedAt: now,
      forcedOutcome: o.faults.nextJobOutcomes.shift(),
    };
    o.store.upsert(job);
    o.runner.enqueue(job.jobId);
    if (o.faults.dropSubmitResponses > 0 || roll(o.faults.dropSubmitResponseRate)) {
      // Accepted and billed, but the caller never hears back.
      o.faults.dropSubmitResponses = Math.max(0, o.faults.dropSubmitResponses - 1);
      call.res.socket?.destroy();
      return 'no-reply';
    }
    return { RequestId: call.requestId, Message: SUBMITTED_MESSAGE };
  };

  const queryAsyncJobList: RpcAction = (call) => {
    const now = o.clock.now();
    const last = lastJobList.get(call.accessKeyId);
    if (last !== undefined && now - last < JOB_LIST_INTERVAL_MS) throw throttled();
    lastJobList.set(call.accessKeyId, now);
    const p = call.params;
    const time = (name: string): number | undefined => {
      const raw = p.get(name);
      if (raw === undefined || raw === '') return undefined;
      const t = parseBeijing(raw);
      if (t === undefined) throw invalid(`${name} ${JSON.stringify(raw)} must be a time formatted yyyy-MM-dd HH:mm:ss.`);
      return t;
    };
    let start = time('StartTime');
    let end = time('EndTime');
    if (start === undefined && end === undefined) end = now;
    start ??= (end as number) - JOB_LIST_MAX_SPAN_MS;
    end ??= Math.min(start + JOB_LIST_MAX_SPAN_MS, Math.max(start, now));
    if (end < start) throw invalid('EndTime must not be earlier than StartTime.');
    if (end - start > JOB_LIST_MAX_SPAN_MS)
      throw invalid('无法查询时间长度超过24小时以外的数据: EndTime - StartTime must not exceed 24 hours.');
    const status = p.get('Status') || undefined;
    if (status && !JOB_STATUSES.includes(status as JobStatus))
      throw invalid(`Status ${JSON.stringify(status)} must be one of ${JOB_STATUSES.join(', ')}.`);
    const pageNum = positiveInt(p, 'PageNum', 1, Number.MAX_SAFE_INTEGER);
    const pageSize = positiveInt(p, 'PageSize', PAGE_SIZE.default, PAGE_SIZE.max);
    const filter = { JobId: p.get('JobId'), PopProduct: p.get('PopProduct'), PopApiName: p.get('PopApiName') };
    const matches = o.store
      .all()
      .filter((j) => j.accessKeyId === call.accessKeyId && j.createdAt >= start && j.createdAt <= end)
      .filter((j) => (!status || j.status === status) && (!filter.JobId || j.jobId === filter.JobId))
      .filter(
        (j) => (!filter.PopProduct || j.popProduct === filter.PopProduct) && (!filter.PopApiName || j.popApiName === filter.PopApiName),
      )
      .sort((a, b) => b.createdAt - a.createdAt || (a.jobId < b.jobId ? -1 : 1));
    return {
      RequestId: call.requestId,
      Success: true,
      HttpCode: '200',
      Message: 'success',
      Data: {
        CurrentPage: pageNum,
        PageSize: pageSize,
        TotalPage: Math.ceil(matches.length / pageSize),
        TotalRecord: matches.length,
        // Never the job's input: a listed job is known by product, API, status and times only.
        Result: matches.slice((pageNum - 1) * pageSize, pageNum * pageSize).map((j) => ({
          JobId: j.jobId,
          Status: j.status,
          PopProduct: j.popProduct,
          PopApiName: j.popApiName,
          GmtCreate: formatBeijing(j.createdAt),
          StartTime: j.startedAt === undefined ? undefined : formatBeijing(j.startedAt),
          EndTime: j.endedAt === undefined ? undefined : formatBeijing(j.endedAt),
          CallerParentId: accountOf(j.accessKeyId),
        })),
      },
    };
  };

  const cancelWaitingAsyncJob: RpcAction = (call) => {
    const job = ownJob(call);
    if (!o.runner.cancelWaiting(job.jobId))
      throw new RpcError(
        400,
        'InvalidJobStatus',
        `Only a job that is still waiting (QUEUING) can be canceled; job ${job.jobId} is ${job.status}.`,
      );
    return { RequestId: call.requestId, Success: true, HttpCode: '200', Message: 'success' };
  };

  return new Map<string, RpcAction>([
    [actionKey('2020-03-20', 'SuperResolveVideo'), superResolveVideo],
    [actionKey('2020-03-20', 'GetAsyncJobResult'), getAsyncJobResult],
    [actionKey('2023-01-17', 'QueryAsyncJobList'), queryAsyncJobList],
    [actionKey('2023-01-17', 'GetAsyncJobResult'), getAsyncJobResult],
    [actionKey('2023-01-17', 'CancelWaitingAsyncJob'), cancelWaitingAsyncJob],
  ]);
}
