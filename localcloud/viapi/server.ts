// The VIAPI (videoenhan 2020-03-20) stand-in: RPC over HTTP with ACS3 / v2 signatures.
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { urlViolation, bitRateViolation, LIMITS } from '../../activities/media';
import type { Clock } from '../clock';
import type { Faults } from '../faults';
import { roll } from '../faults';
import { readBody, requestId, sendJson } from '../http';
import { signGetUrl } from '../oss/signature';
import type { RateLimiter } from '../rateLimiter';
import type { JobRecord, JobStore } from './jobStore';
import type { JobRunner } from './jobRunner';
import { verifyAcs3, verifyV2, type Credentials } from './signature';

export const VIAPI_VERSION = '2020-03-20';

export interface ViapiServerOptions {
  credentials: Credentials;
  store: JobStore;
  runner: JobRunner;
  clock: Clock;
  faults: Faults;
  submitLimiter: RateLimiter;
  /** Signs result URLs: the OSS endpoint, results bucket, and the provider's own key. */
  results: { ossEndpoint: string; bucket: string; accessKeyId: string; secret: string };
  /** Admin routes under /__admin (faults, clock, billing); loopback only. */
  admin: (req: IncomingMessage, res: ServerResponse, path: string, body: Buffer) => Promise<void>;
}

class RpcError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function jobView(job: JobRecord, resultUrl: string | undefined) {
  return {
    JobId: job.jobId,
    Status: job.status,
    Result: resultUrl ? JSON.stringify({ VideoUrl: resultUrl }) : undefined,
    ErrorCode: job.errorCode,
    ErrorMessage: job.errorMessage,
  };
}

export function createViapiServer(o: ViapiServerOptions): http.Server {
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

  function submit(accessKeyId: string, params: Map<string, string>, res: ServerResponse): void {
    const videoUrl = params.get('VideoUrl');
    if (!videoUrl) throw new RpcError(400, 'InvalidParameter', 'VideoUrl is mandatory for this action.');
    const badUrl = urlViolation(videoUrl, 'VideoUrl');
    if (badUrl) throw new RpcError(400, 'InvalidParameter', badUrl.message);
    const rawBitRate = params.get('BitRate');
    const bitRate = rawBitRate === undefined ? LIMITS.defaultBitRate : Number(rawBitRate);
    const badRate = bitRateViolation(bitRate);
    if (badRate) throw new RpcError(400, 'InvalidParameter', badRate.message.replace('bitRate', 'BitRate'));
    if (!o.submitLimiter.take(accessKeyId)) throw new RpcError(400, 'Throttling.User', 'Request was denied due to user flow control.');
    const now = o.clock.now();
    const job: JobRecord = {
      jobId: randomUUID().toUpperCase(),
      accessKeyId,
      status: 'QUEUING',
      videoUrl,
      bitRate,
      createdAt: now,
      modifiedAt: now,
      forcedOutcome: o.faults.nextJobOutcomes.shift(),
    };
    o.store.upsert(job);
    o.runner.enqueue(job.jobId);
    if (o.faults.dropSubmitResponses > 0) {
      // Accepted and billed, but the caller never hears back.
      o.faults.dropSubmitResponses -= 1;
      res.socket?.destroy();
      return;
    }
    sendJson(res, 200, { RequestId: job.jobId, Message: 'Job submitted, query the result with GetAsyncJobResult' });
  }

  function getResult(accessKeyId: string, params: Map<string, string>, res: ServerResponse): void {
    const jobId = params.get('JobId');
    if (!jobId) throw new RpcError(400, 'InvalidParameter', 'JobId is mandatory for this action.');
    const job = o.store.get(jobId);
    if (!job || job.accessKeyId !== accessKeyId) throw new RpcError(404, 'InvalidJobId.NotFound', `job ${jobId} does not exist`);
    sendJson(res, 200, { RequestId: requestId(), Data: jobView(job, resultUrl(job)) });
  }

  function parseTime(v: string | undefined, field: string): number | undefined {
    if (v === undefined || v === '') return undefined;
    const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
    if (!Number.isFinite(t))
      throw new RpcError(400, 'InvalidParameter', `${field} ${JSON.stringify(v)} is not epoch milliseconds or an ISO-8601 time`);
    return t;
  }

  function queryList(accessKeyId: string, params: Map<string, string>, res: ServerResponse): void {
    const start = parseTime(params.get('StartTime'), 'StartTime');
    const end = parseTime(params.get('EndTime'), 'EndTime');
    const status = params.get('Status');
    const jobId = params.get('JobId');
    const pageNo = Math.max(1, Number(params.get('PageNo') ?? 1) || 1);
    const pageSize = Math.min(100, Math.max(1, Number(params.get('PageSize') ?? 20) || 20));
    const matches = o.store
      .all()
      .filter((j) => j.accessKeyId === accessKeyId)
      .filter((j) => (start === undefined || j.createdAt >= start) && (end === undefined || j.createdAt <= end))
      .filter((j) => (!status || j.status === status) && (!jobId || j.jobId === jobId))
      .sort((a, b) => b.createdAt - a.createdAt);
    const page = matches.slice((pageNo - 1) * pageSize, pageNo * pageSize);
    sendJson(res, 200, {
      RequestId: requestId(),
      Data: {
        PageNo: pageNo,
        PageSize: pageSize,
        TotalCount: matches.length,
        Result: page.map((j) => ({
          ...jobView(j, resultUrl(j)),
          ApiName: 'SuperResolveVideo',
          GmtCreate: new Date(j.createdAt).toISOString(),
          GmtModified: new Date(j.modifiedAt).toISOString(),
          JobParams: JSON.stringify({ VideoUrl: j.videoUrl, BitRate: j.bitRate }),
        })),
      },
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = await readBody(req);
    if (url.pathname.startsWith('/__admin/')) return o.admin(req, res, url.pathname.slice('/__admin/'.length), body);

    const method = req.method ?? 'GET';
    const params = new Map<string, string>([...url.searchParams, ...new URLSearchParams(body.toString('utf8'))]);
    let accessKeyId: string;
    let action: string;
    if (req.headers.authorization) {
      const r = verifyAcs3(method, url.pathname, url.searchParams, req.headers, body, o.credentials);
      if (!r.ok) throw new RpcError(r.status, r.code, r.message);
      accessKeyId = r.accessKeyId;
      action = String(req.headers['x-acs-action'] ?? '');
      if (req.headers['x-acs-version'] !== VIAPI_VERSION)
        throw new RpcError(400, 'InvalidVersion', `x-acs-version must be ${VIAPI_VERSION}`);
    } else if (params.has('Signature')) {
      const r = verifyV2(method, params, o.credentials);
      if (!r.ok) throw new RpcError(r.status, r.code, r.message);
      accessKeyId = r.accessKeyId;
      action = params.get('Action') ?? '';
      if (params.get('Version') !== VIAPI_VERSION) throw new RpcError(400, 'InvalidVersion', `Version must be ${VIAPI_VERSION}`);
    } else {
      throw new RpcError(400, 'MissingAuthorization', 'the request is not signed');
    }
    if (roll(o.faults.viapiServerErrorRate))
      throw new RpcError(503, 'ServiceUnavailable', 'injected fault: the service is temporarily unavailable');
    if (roll(o.faults.viapiThrottleRate))
      throw new RpcError(400, 'Throttling.User', 'injected fault: request was denied due to user flow control');
    switch (action) {
      case 'SuperResolveVideo':
        return submit(accessKeyId, params, res);
      case 'GetAsyncJobResult':
        return getResult(accessKeyId, params, res);
      case 'QueryAsyncJobList':
        return queryList(accessKeyId, params, res);
      default:
        throw new RpcError(404, 'InvalidAction.NotFound', `Specified api ${JSON.stringify(action)} is not found`);
    }
  }

  return http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent || res.destroyed) return;
      const e = err instanceof RpcError ? err : new RpcError(500, 'InternalError', err instanceof Error ? err.message : String(err));
      sendJson(res, e.status, { RequestId: requestId(), Code: e.code, Message: e.message });
    });
  });
}
