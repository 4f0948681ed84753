// Upload: stream the source into OSS, multipart for large files, resuming from the last part after a crash.
import { Context } from '@temporalio/activity';
import fs from 'node:fs';
import type { ActivityDeps } from './deps';
import { finalError, retryableError } from './failures';
import { HEARTBEAT_EVERY_MS } from './heartbeat';
import { TransferReporter } from './progress';
import { retryTransient } from './provider/retry';
import type { UploadInput } from './types';
import { ErrorTypes } from '../workflows/contract';

const MIN_PART = 100 * 1024;
const MAX_PARTS = 10_000;
/** Parts uploaded at once (test/bench/streaming.ts measured 1 GB with 1, 2 and 4). */
const PARTS_IN_FLIGHT = 4;

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
    const ctx = Context.current();

    if (size <= partSize) {
      const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS); // one PUT: nothing else would beat
      try {
        await retryTransient(() => deps.storage.put(input.bucket, input.key, file));
      } finally {
        clearInterval(beat);
      }
      return { bucket: input.bucket, key: input.key, sizeBytes: size };
    }

    const reporter = new TransferReporter(deps, input.workflowId, 'uploading', size);
    const saved = ctx.info.heartbeatDetails as UploadCheckpoint | undefined;
    if (saved) ctx.log.info('resuming multipart upload', { parts: saved.parts.length });
    const checkpoint: UploadCheckpoint = saved?.uploadId
      ? saved
      : { uploadId: await retryTransient(() => deps.storage.initMultipart(input.bucket, input.key)), parts: [] };
    const { uploadId } = checkpoint;
    const total = Math.ceil(size / partSize);
    const partBytes = (n: number) => Math.min(size, n * partSize) - (n - 1) * partSize;
    const todo = Array.from({ length: total }, (_, i) => i + 1).filter((n) => !checkpoint.parts.some((p) => p.number === n));
    let sent = checkpoint.parts.reduce((sum, p) => sum + partBytes(p.number), 0);
    let failure: Error | undefined;
    // A few parts in flight at once: one connection alone waits on each part's round trip and the server's hashing.
    const sendParts = async (): Promise<void> => {
      for (let n = todo.shift(); n !== undefined && failure === undefined; n = todo.shift()) {
        ctx.cancellationSignal.throwIfAborted();
        const start = (n - 1) * partSize;
        const etag = await retryTransient(
          () => deps.storage.uploadPart(input.bucket, input.key, uploadId, n, file, start, start + partBytes(n)),
          { heartbeat: () => reporter.keepAlive() },
        );
        checkpoint.parts.push({ number: n, etag });
        sent += partBytes(n);
        reporter.update(sent, checkpoint);
      }
    };
    await Promise.all(
      Array.from({ length: PARTS_IN_FLIGHT }, () =>
        sendParts().catch((err: unknown) => {
          failure ??= err instanceof Error ? err : new Error(String(err));
        }),
      ),
    );
    if (failure) {
      if ((failure as { code?: string }).code === 'NoSuchUpload') {
        // The saved upload is gone (aborted or expired): forget it so the retry starts afresh.
        ctx.heartbeat({ uploadId: '', parts: [] });
        throw retryableError('UploadVanished', `multipart upload ${checkpoint.uploadId} no longer exists; restarting the upload`);
      }
      throw failure;
    }
    checkpoint.parts.sort((a, b) => a.number - b.number);
    await retryTransient(() => deps.storage.completeMultipart(input.bucket, input.key, uploadId, checkpoint.parts));
    return { bucket: input.bucket, key: input.key, sizeBytes: size };
  };
}
