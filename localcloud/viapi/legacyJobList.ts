// TEMPORARY SHIM: remove when the product reconciles through viapi 2023-01-17.
//
// vsr's first reconciliation called an invented videoenhan 2020-03-20 `QueryAsyncJobList` that returns
// each job's input (`JobParams` with the VideoUrl). The real API has no such action (see viapi
// 2023-01-17 QueryAsyncJobList in actions.ts, which never returns a job's input). The stand-in serves
// this invented shape only when started with `legacyVideoenhanJobList: true`, so the product's tests keep
// passing until the product switches; without the option the action is "api not found", as on Alibaba.
import type { JobStore } from './jobStore';
import { invalid, type RpcAction } from './rpc';

function parseTime(v: string | undefined, field: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(t)) throw invalid(`${field} ${JSON.stringify(v)} is not epoch milliseconds or an ISO-8601 time`);
  return t;
}

export function legacyVideoenhanJobList(store: JobStore): RpcAction {
  return ({ accessKeyId, params, requestId }) => {
    const start = parseTime(params.get('StartTime'), 'StartTime');
    const end = parseTime(params.get('EndTime'), 'EndTime');
    const pageNo = Math.max(1, Number(params.get('PageNo') ?? 1) || 1);
    const pageSize = Math.min(100, Math.max(1, Number(params.get('PageSize') ?? 20) || 20));
    const matches = store
      .all()
      .filter((j) => j.accessKeyId === accessKeyId)
      .filter((j) => (start === undefined || j.createdAt >= start) && (end === undefined || j.createdAt <= end))
      .sort((a, b) => b.createdAt - a.createdAt);
    return {
      RequestId: requestId,
      Data: {
        PageNo: pageNo,
        PageSize: pageSize,
        TotalCount: matches.length,
        Result: matches.slice((pageNo - 1) * pageSize, pageNo * pageSize).map((j) => ({
          JobId: j.jobId,
          Status: j.status,
          ErrorCode: j.errorCode,
          ErrorMessage: j.errorMessage,
          ApiName: j.popApiName,
          GmtCreate: new Date(j.createdAt).toISOString(),
          GmtModified: new Date(j.modifiedAt).toISOString(),
          JobParams: JSON.stringify({ VideoUrl: j.videoUrl, BitRate: j.bitRate }),
        })),
      },
    };
  };
}
