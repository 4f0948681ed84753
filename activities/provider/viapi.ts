// SuperResolveVideo, GetAsyncJobResult and QueryAsyncJobList over Alibaba's generic OpenAPI client.
// The generated @alicloud/videoenhan20200320 SDK is a thin layer over these same calls: swapping it in
// later changes this file only.
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

export interface JobListEntry extends JobResult {
  createdAt: number;
  videoUrl?: string;
}

export interface ViapiClient {
  /** `bitRateMbps` undefined: the provider's default. */
  submit(videoUrl: string, bitRateMbps: number | undefined): Promise<{ jobId: string }>;
  getResult(jobId: string): Promise<JobResult>;
  /** Jobs submitted between two times (epoch ms), newest first, one page. */
  listJobs(startTime: number, endTime: number, pageNo: number, pageSize: number): Promise<{ total: number; jobs: JobListEntry[] }>;
}

/**
 * How a call failed, as far as "did the provider accept it?" goes:
 * - rejected: the provider answered with an error (it did not accept the request);
 * - not-sent: the request never reached the provider (connection refused, DNS);
 * - unknown: the request may have reached it but no answer came back (reset, timeout).
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

function classify(err: unknown): ViapiCallError {
  const e = err as { statusCode?: number; code?: string; message?: string; data?: { Code?: string } };
  const message = e.message ?? String(err);
  if (typeof e.statusCode === 'number' && e.statusCode >= 400) {
    return new ViapiCallError('rejected', e.code ?? e.data?.Code ?? `HTTP${e.statusCode}`, e.statusCode, message);
  }
  const code = e.code ?? /(E[A-Z]+)/.exec(message)?.[1] ?? 'NetworkError';
  return new ViapiCallError(NOT_SENT_CODES.has(code) ? 'not-sent' : 'unknown', code, undefined, message);
}

export interface ViapiClientOptions {
  /** `host:port` or host name, without scheme. */
  endpoint: string;
  protocol: 'http' | 'https';
  credential: { accessKeyId: string; accessKeySecret: string } | Credential;
  readTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export const VIAPI_VERSION = '2020-03-20';

export function createViapiClient(o: ViapiClientOptions): ViapiClient {
  const config = new $OpenApiUtil.Config({
    endpoint: o.endpoint,
    protocol: o.protocol,
    regionId: 'cn-shanghai',
    readTimeout: o.readTimeoutMs ?? 30_000,
    connectTimeout: o.connectTimeoutMs ?? 5_000,
    ...('accessKeyId' in o.credential
      ? { accessKeyId: o.credential.accessKeyId, accessKeySecret: o.credential.accessKeySecret }
      : { credential: o.credential }),
  });
  const client = new OpenApi(config);

  async function call(action: string, body: Record<string, string | number | undefined>): Promise<Record<string, unknown>> {
    const params = new $OpenApiUtil.Params({
      action,
      version: VIAPI_VERSION,
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
      const res = await client.callApi(params, new $OpenApiUtil.OpenApiRequest({ body: clean }), new $dara.RuntimeOptions({}));
      return res.body as Record<string, unknown>;
    } catch (err) {
      throw classify(err);
    }
  }

  return {
    async submit(videoUrl, bitRateMbps) {
      const body = await call('SuperResolveVideo', { VideoUrl: videoUrl, BitRate: bitRateMbps });
      const jobId = text(body.RequestId);
      if (!jobId) throw new ViapiCallError('unknown', 'MissingRequestId', 200, 'SuperResolveVideo answered without a RequestId');
      return { jobId };
    },
    async getResult(jobId) {
      const body = await call('GetAsyncJobResult', { JobId: jobId });
      return toJobResult((body.Data ?? {}) as Record<string, unknown>, jobId);
    },
    async listJobs(startTime, endTime, pageNo, pageSize) {
      const body = await call('QueryAsyncJobList', { StartTime: startTime, EndTime: endTime, PageNo: pageNo, PageSize: pageSize });
      const data = (body.Data ?? {}) as { TotalCount?: number; Result?: Array<Record<string, unknown>> };
      return {
        total: Number(data.TotalCount ?? 0),
        jobs: (data.Result ?? []).map((r) => {
          let videoUrl: string | undefined;
          try {
            videoUrl = (JSON.parse(text(r.JobParams) || '{}') as { VideoUrl?: string }).VideoUrl;
          } catch {
            videoUrl = undefined;
          }
          return { ...toJobResult(r, ''), createdAt: Date.parse(text(r.GmtCreate)), videoUrl };
        }),
      };
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
