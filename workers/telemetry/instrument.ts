// Decorators that observe the provider clients from outside (metrics and a DEBUG line per call), applied
// where the worker is composed, so activities and the clients themselves carry no instrumentation.
import fs from 'node:fs';
import { asyncLocalStorage } from '@temporalio/activity';
import { Runtime } from '@temporalio/worker';
import type { ObjectStorage } from '../../activities/provider/oss';
import type { ViapiClient } from '../../activities/provider/viapi';
import type { VsrMetrics } from './metrics';

type Service = 'viapi' | 'oss';

/** The provider's names for the calls (what its documentation, console and error messages say). */
const VIAPI_ACTIONS: Record<string, string> = {
  submit: 'SuperResolveVideo',
  getResult: 'GetAsyncJobResult',
  listJobs: 'QueryAsyncJobList',
  cancelWaiting: 'CancelWaitingAsyncJob',
};
const OSS_ACTIONS: Record<string, string> = {
  put: 'PutObject',
  initMultipart: 'InitiateMultipartUpload',
  uploadPart: 'UploadPart',
  completeMultipart: 'CompleteMultipartUpload',
  abortMultipart: 'AbortMultipartUpload',
  head: 'HeadObject',
  getStream: 'GetObject',
  delete: 'DeleteObject',
  list: 'ListObjectsV2',
  listUploads: 'ListMultipartUploads',
};

/** The provider's error code (`Throttling.User`, `NoSuchKey`), the network error (`ECONNRESET`), or the error's name. */
export function errorCode(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown; status?: unknown } | undefined;
  if (typeof e?.code === 'string' && e.code) return e.code;
  if (typeof e?.status === 'number') return `HTTP${e.status}`;
  return typeof e?.name === 'string' ? e.name : 'Error';
}

function isThrottling(err: unknown): boolean {
  const e = err as { status?: unknown; statusCode?: unknown } | undefined;
  return /Throttl|SlowDown|TooManyRequests/i.test(errorCode(err)) || e?.status === 429 || e?.statusCode === 429;
}

/** The running activity's logger (its workflow id, run id, attempt...), or the runtime's outside one. */
function currentLog() {
  return asyncLocalStorage.getStore()?.log ?? Runtime.instance().logger;
}

interface CallHooks {
  /** After a successful call: more metrics (bytes, billable jobs). */
  onSuccess?: (method: string, args: unknown[]) => void | Promise<void>;
  /** Extra fields for the call's DEBUG line (redacted by the logger like everything else). */
  details?: (method: string, args: unknown[]) => Record<string, unknown>;
}

/**
 * Wraps every promise-returning method of a client: calls, errors by code, throttling and latency. A method
 * the interface gains later is observed too, under its own name.
 */
function observe<T extends object>(service: Service, inner: T, actions: Record<string, string>, m: VsrMetrics, hooks: CallHooks): T {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const member: unknown = Reflect.get(target, prop, receiver);
      if (typeof member !== 'function' || typeof prop !== 'string') return member;
      const action = actions[prop] ?? prop;
      return (...args: unknown[]) => {
        const result: unknown = member.apply(target, args);
        if (!(result instanceof Promise)) return result; // local work (URL signing): not a provider call
        const started = performance.now();
        const tags = { service, action };
        const done = (code: string) => {
          const seconds = (performance.now() - started) / 1000;
          m.providerCalls.add(1, tags);
          m.providerCallDuration.record(seconds, tags);
          currentLog().debug('provider call', { ...tags, code, durationMs: Math.round(seconds * 1000), ...hooks.details?.(prop, args) });
        };
        return result.then(
          async (value: unknown) => {
            done('OK');
            // Observation never fails the call it observes.
            await Promise.resolve(hooks.onSuccess?.(prop, args)).catch(() => undefined);
            return value;
          },
          (err: unknown) => {
            const code = errorCode(err);
            done(code);
            m.providerErrors.add(1, { ...tags, code });
            if (isThrottling(err)) m.providerThrottled.add(1, tags);
            throw err;
          },
        );
      };
    },
  });
}

export function instrumentViapi(inner: ViapiClient, m: VsrMetrics): ViapiClient {
  return observe('viapi', inner, VIAPI_ACTIONS, m, {
    // An answered SuperResolveVideo is a job the account pays for, whatever becomes of it.
    onSuccess: (method) => {
      if (method === 'submit') m.billableJobs.add(1);
    },
    details: (method, args) => (method === 'submit' ? { videoUrl: args[0] } : method === 'getResult' ? { jobId: args[0] } : {}),
  });
}

export function instrumentStorage(inner: ObjectStorage, m: VsrMetrics): ObjectStorage {
  return observe('oss', inner, OSS_ACTIONS, m, {
    onSuccess: async (method, args) => {
      if (method === 'uploadPart') m.uploadedBytes.add(Number(args[6]) - Number(args[5]));
      if (method === 'put') m.uploadedBytes.add((await fs.promises.stat(String(args[2]))).size);
    },
    details: (_method, args) => ({ bucket: args[0], key: args[1] }),
  });
}
