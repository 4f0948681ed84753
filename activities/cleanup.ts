// Compensations: remove temporary objects (and unfinished multipart uploads), and partial outputs.
import fs from 'node:fs';
import type { Destination } from '../workflows/contract';
import type { ActivityDeps } from './deps';
import { partialPath } from './download';
import { retryTransient } from './provider/retry';

export function makeCleanup(deps: ActivityDeps) {
  return {
    removeTemporaryObjects: async (input: { bucket: string; prefix: string }): Promise<{ objects: number; uploads: number }> => {
      if (!input.prefix.startsWith('vsr-tmp/')) throw new Error(`refusing to clean ${input.prefix}: only vsr-tmp/ prefixes are temporary`);
      const keys = await retryTransient(() => deps.storage.list(input.bucket, input.prefix));
      for (const { key } of keys) await retryTransient(() => deps.storage.delete(input.bucket, key));
      const uploads = await retryTransient(() => deps.storage.listUploads(input.bucket, input.prefix));
      for (const u of uploads) await retryTransient(() => deps.storage.abortMultipart(input.bucket, u.key, u.uploadId));
      return { objects: keys.length, uploads: uploads.length };
    },

    /** Removes what an unfinished download left; never a completed output. */
    removePartialOutput: async (input: { destination: Destination; workflowId: string }): Promise<void> => {
      await fs.promises.rm(partialPath(deps, input.destination, input.workflowId), { force: true });
    },
  };
}
