// Upload: stream the source into OSS, multipart for large files, resuming from the last part after a crash.
import { Context } from '@temporalio/activity';
import fs from 'node:fs';
import type { ActivityDeps } from './deps';
import { finalError, retryableError } from './failures';
import { TransferReporter } from './progress';
import { retryTransient } from './provider/retry';
import type { UploadInput } from './types';
import { ErrorTypes } from '../workflows/contract';

const MIN_PART = 100 * 1024;
const MAX_PARTS = 10_000;

/** Heartbeat details: enough to resume without re-sending finished parts. */
interface UploadCheckpoint {
  uploadId: string;
  parts: Array<{ number: number; etag: string }>;
}

export function makeUpload(deps: ActivityDeps) {
  return async function uploadSource(input: UploadInput): Promise<{ bucket: string; key: string; sizeBytes: number }> {
    if (input.source.kind !== 'local') throw finalError(ErrorTypes.InvalidSource, `source kind ${input.source.kind} needs no upload`);
    const file = input.source.path;
    const size = (await fs.promises.stat(file)).size;
    const partSize = Math.max(MIN_PART, deps.partSize ?? 8 * 1024 * 1024, Math.ceil(size / MAX_PARTS));
    const reporter = new TransferReporter(deps, input.workflowId, 'uploading', size);
    const ctx = Context.current();

    if (size <= partSize) {
      reporter.update(0, undefined);
      await retryTransient(() => deps.storage.put(input.bucket, input.key, file));
      reporter.update(size, undefined);
      return { bucket: input.bucket, key: input.key, sizeBytes: size };
    }

    let checkpoint = ctx.info.heartbeatDetails as UploadCheckpoint | undefined;
    if (checkpoint) ctx.log.info('resuming multipart upload', { parts: checkpoint.parts.length });
    if (!checkpoint?.uploadId)
      checkpoint = { uploadId: await retryTransient(() => deps.storage.initMultipart(input.bucket, input.key)), parts: [] };
    const total = Math.ceil(size / partSize);
    for (let n = 1; n <= total; n++) {
      if (checkpoint.parts.some((p) => p.number === n)) continue;
      ctx.cancellationSignal.throwIfAborted();
      const start = (n - 1) * partSize;
      let etag: string;
      const uploadId = checkpoint.uploadId;
      try {
        etag = await retryTransient(
          () => deps.storage.uploadPart(input.bucket, input.key, uploadId, n, file, start, Math.min(size, start + partSize)),
          { heartbeat: () => reporter.keepAlive() },
        );
      } catch (err) {
        if ((err as { code?: string }).code === 'NoSuchUpload') {
          // The saved upload is gone (aborted or expired): forget it so the retry starts afresh.
          ctx.heartbeat({ uploadId: '', parts: [] });
          throw retryableError('UploadVanished', `multipart upload ${checkpoint.uploadId} no longer exists; restarting the upload`);
        }
        throw err;
      }
      checkpoint.parts.push({ number: n, etag });
      reporter.update(Math.min(size, checkpoint.parts.length * partSize), checkpoint);
    }
    checkpoint.parts.sort((a, b) => a.number - b.number);
    const { uploadId, parts } = checkpoint;
    await retryTransient(() => deps.storage.completeMultipart(input.bucket, input.key, uploadId, parts));
    return { bucket: input.bucket, key: input.key, sizeBytes: size };
  };
}
