// The VIAPI calls vsr makes, over Alibaba's generic OpenAPI client, in the shapes the generated SDKs use:
// - videoenhan 2020-03-20 (`videoenhan.cn-shanghai.aliyuncs.com`): SuperResolveVideo, GetAsyncJobResult;
// - viapi 2023-01-17 (`viapi.cn-shanghai.aliyuncs.com`): QueryAsyncJobList, CancelWaitingAsyncJob.
// Swapping in the generated @alicloud/videoenhan20200320 and @alicloud/viapi20230117 SDKs changes this file only.
import OpenApi, { $OpenApiUtil } from '@alicloud/openapi-core';
import type Credential from '@alicloud/credentials';
import * as $dara from '@darabonba/typescript';
import type { JobStatus } from '../../workflows/contract';

export interface JobResult {
  jobId: string;
  status: JobStatus;
  resultUrl?: string;
  errorCode?: string;
  errorMessage?: string;
}

/** A QueryAsyncJobList entry: never the job's input, only what it is, its status and when it was created. */
export interface JobListEntry {
  jobId: string;
  status: JobStatus;
  popProduct: string;
  popApiName: string;
  /** GmtCreate as epoch ms (the provider answers in Beijing time, to the second). */
  createdAt: number;
}

export interface JobListQuery {
  /** Epoch ms; sent to the second in Beijing time, start rounded down and end rounded up. */
  startTime: number;
  endTime: number;
  pageNum: number;
  pageSize: number;
}

export interface ViapiClient {
  /** `bitRateMbps` undefined: the provider's default. */
  submit(videoUrl: string, bitRateMbps: number | undefined): Promise<{ jobId: string }>;
  getResult(jobId: string): Promise<JobResult>;
  /** One page of this account's SuperResolveVideo jobs created between two times, newest first. */
  listJobs(q: JobListQuery): Promise<{ totalPages: number; jobs: JobListEntry[] }>;
  /** Cancels a job that is still QUEUING; a job in any other state is refused with `InvalidJobStatus`. */
  cancelWaiting(jobId: string): Promise<void>;
}

/**
 * How a call failed, as far as "did the provider act on it?" goes:
 * - rejected: the provider answered with an error code (a clean refusal: nothing was done);
 * - not-sent: the request never reached the provider (connection refused, DNS);
 * - unknown: it may have reached the provider but no usable answer came back (reset, timeout, a 5xx without
 *   an error code, a gateway timeout): the call may have taken effect.
 */
export type CallOutcome = 'rejected' | 'not-sent' | 'unknown';

export class ViapiCallError extends Error {
  constructor(
    readonly outcome: CallOutcome,
    readonly code: string,
    readonly statusCode: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ViapiCallError';
  }
  get throttled(): boolean {
    return this.code.includes('Throttling');
  }
}

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function classifyViapiError(err: unknown): ViapiCallError {
  if (err instanceof ViapiCallError) return err;
  const e = err as { statusCode?: number; code?: string; message?: string; data?: { Code?: string } };
  const message = e.message ?? String(err);
  if (typeof e.statusCode === 'number' && e.statusCode >= 400) {
    // openapi-core writes a missing Code as the string "undefined".
    const code = [e.code, e.data?.Code].find((c) => c && c !== 'undefined');
    // A gateway timeout says only that the gateway stopped waiting: the backend may still have acted.
    const answered = code !== undefined && e.statusCode !== 504;
    return new ViapiCallError(
      answered || e.statusCode < 500 ? 'rejected' : 'unknown',
      code ?? `HTTP${e.statusCode}`,
      e.statusCode,
      message,
    );
  }
  const code = e.code ?? /(E[A-Z]+)/.exec(message)?.[1] ?? 'NetworkError';
  return new ViapiCallError(NOT_SENT_CODES.has(code) ? 'not-sent' : 'unknown', code, undefined, message);
}

export interface ViapiClientOptions {
  /** videoenhan 2020-03-20: `host:port` or host name, without scheme. */
  videoenhanEndpoint: string;
  /** viapi 2023-01-17 (job list and cancel): `host:port` or host name, without scheme. */
  viapiEndpoint: string;
  protocol: 'http' | 'https';
  credential: { accessKeyId: string; accessKeySecret: string } | Credential;
  readTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export const VIDEOENHAN_VERSION = '2020-03-20';
export const VIAPI_VERSION = '2023-01-17';
const PRODUCT_API = { PopProduct: 'videoenhan', PopApiName: 'SuperResolveVideo' } as const;

/** `yyyy-MM-dd HH:mm:ss` in Beijing time (UTC+8, no daylight saving): how viapi 2023-01-17 writes times. */
const BEIJING_MS = 8 * 3600 * 1000;
export function toBeijingTime(ms: number): string {
  return new Date(ms + BEIJING_MS).toISOString().slice(0, 19).replace('T', ' ');
}
export function fromBeijingTime(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) - BEIJING_MS : NaN;
}

export function createViapiClient(o: ViapiClientOptions): ViapiClient {
  function client(endpoint: string): OpenApi {
    return new OpenApi(
      new $OpenApiUtil.Config({
        endpoint,
        protocol: o.protocol,
        regionId: 'cn-shanghai',
        readTimeout: o.readTimeoutMs ?? 30_000,
        connectTimeout: o.connectTimeoutMs ?? 5_000,
        ...('accessKeyId' in o.credential
          ? { accessKeyId: o.credential.accessKeyId, accessKeySecret: o.credential.accessKeySecret }
          : { credential: o.credential }),
      }),
    );
  }
  const videoenhan = { client: client(o.videoenhanEndpoint), version: VIDEOENHAN_VERSION };
  const viapi = { client: client(o.viapiEndpoint), version: VIAPI_VERSION };

  async function call(
    api: { client: OpenApi; version: string },
    action: string,
    body: Record<string, string | number | undefined>,
  ): Promise<Record<string, unknown>> {
    const params = new $OpenApiUtil.Params({
      action,
      version: api.version,
      protocol: 'HTTPS',
      pathname: '/',
      method: 'POST',
      authType: 'AK',
      style: 'RPC',
      reqBodyType: 'formData',
      bodyType: 'json',
    });
    const clean = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
    try {
      const res = await api.client.callApi(params, new $OpenApiUtil.OpenApiRequest({ body: clean }), new $dara.RuntimeOptions({}));
      return res.body as Record<string, unknown>;
    } catch (err) {
      throw classifyViapiError(err);
    }
  }

  return {
    async submit(videoUrl, bitRateMbps) {
      const body = await call(videoenhan, 'SuperResolveVideo', { VideoUrl: videoUrl, BitRate: bitRateMbps });
      const jobId = text(body.RequestId);
      if (!jobId) throw new ViapiCallError('unknown', 'MissingRequestId', 200, 'SuperResolveVideo answered without a RequestId');
      return { jobId };
    },
    async getResult(jobId) {
      const body = await call(videoenhan, 'GetAsyncJobResult', { JobId: jobId });
      return toJobResult((body.Data ?? {}) as Record<string, unknown>, jobId);
    },
    async listJobs(q) {
      const body = await call(viapi, 'QueryAsyncJobList', {
        ...PRODUCT_API,
        StartTime: toBeijingTime(Math.floor(q.startTime / 1000) * 1000),
        EndTime: toBeijingTime(Math.ceil(q.endTime / 1000) * 1000),
        PageNum: q.pageNum,
        PageSize: q.pageSize,
      });
      const data = (body.Data ?? {}) as { TotalPage?: number; Result?: Array<Record<string, unknown>> };
      return {
        totalPages: Number(data.TotalPage ?? 0),
        jobs: (data.Result ?? []).map((r) => ({
          jobId: text(r.JobId),
          status: text(r.Status) as JobStatus,
          popProduct: text(r.PopProduct),
          popApiName: text(r.PopApiName),
          createdAt: fromBeijingTime(text(r.GmtCreate)),
        })),
      };
    },
    async cancelWaiting(jobId) {
      await call(viapi, 'CancelWaitingAsyncJob', { JobId: jobId });
    },
  };
}

/** A JSON field the provider sends as a string (or a number): anything else reads as absent. */
function text(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

function toJobResult(data: Record<string, unknown>, fallbackId: string): JobResult {
  let resultUrl: string | undefined;
  if (typeof data.Result === 'string' && data.Result) {
    try {
      resultUrl = (JSON.parse(data.Result) as { VideoUrl?: string }).VideoUrl;
    } catch {
      resultUrl = undefined;
    }
  }
  return {
    jobId: text(data.JobId) || fallbackId,
    status: (text(data.Status) || 'QUEUING') as JobStatus,
    resultUrl,
    errorCode: text(data.ErrorCode) || undefined,
    errorMessage: text(data.ErrorMessage) || undefined,
  };
}
