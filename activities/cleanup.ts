// Compensations: remove temporary objects (and unfinished multipart uploads), and partial outputs.
import { Context } from '@temporalio/activity';
import fs from 'node:fs';
import type { Destination } from '../workflows/contract';
import { ErrorTypes } from '../workflows/contract';
import { temporaryPrefix } from '../workflows/locations';
import type { ActivityDeps } from './deps';
import { partialPath } from './destination';
import { finalError } from './failures';
import { retryTransient } from './provider/retry';

export function makeCleanup(deps: ActivityDeps) {
  return {
    /**
     * Removes the calling workflow's temporaries, and only those: the prefix must be its own (derived from its id,
     * not trusted from the input), and every listed key or upload is checked to be directly under it, whatever
     * the listing returned (a listing that ignores the prefix, another workflow whose id extends this one's).
     */
    removeTemporaryObjects: async (input: {
      bucket: string;
      prefix: string;
    }): Promise<{ objects: number; uploads: number; skipped: number }> => {
      const ctx = Context.current();
      const workflowId = ctx.info.workflowExecution?.workflowId;
      if (!workflowId) throw finalError(ErrorTypes.InvalidSource, 'removeTemporaryObjects runs only on behalf of a workflow');
      const own = temporaryPrefix(workflowId);
      if (input.prefix !== own)
        throw finalError(ErrorTypes.InvalidSource, `refusing to clean ${input.prefix}: this workflow's temporaries are under ${own}`);
      const mine = (key: string) => key.startsWith(own) && key.length > own.length && !key.slice(own.length).includes('/');
      const keys = await retryTransient(() => deps.storage.list(input.bucket, own));
      const uploads = await retryTransient(() => deps.storage.listUploads(input.bucket, own));
      const ownKeys = keys.filter((k) => mine(k.key));
      const ownUploads = uploads.filter((u) => mine(u.key));
      const skipped = keys.length - ownKeys.length + uploads.length - ownUploads.length;
      if (skipped > 0) ctx.log.warn("listing returned keys outside this workflow's prefix; left alone", { prefix: own, skipped });
      for (const { key } of ownKeys) await retryTransient(() => deps.storage.delete(input.bucket, key));
      for (const u of ownUploads) await retryTransient(() => deps.storage.abortMultipart(input.bucket, u.key, u.uploadId));
      return { objects: ownKeys.length, uploads: ownUploads.length, skipped };
    },

    /** Removes what an unfinished download left; never a completed output. */
    removePartialOutput: async (input: { destination: Destination; workflowId: string }): Promise<void> => {
      await fs.promises.rm(partialPath(deps.workDir, input.destination, input.workflowId), { force: true });
    },
  };
}
