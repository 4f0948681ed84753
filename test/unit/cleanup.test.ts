// Cleanup removes the calling workflow's temporaries and nothing else, whatever a listing returns.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { makeCleanup } from '../../activities/cleanup';
import type { ActivityDeps } from '../../activities/deps';
import type { ObjectStorage } from '../../activities/provider/oss';
import { activityEnv } from '../harness/workflowEnv';

/** A listing that ignores the prefix, like a careless server: everything in the bucket comes back. */
function careless(keys: string[], uploads: string[]) {
  const deleted: string[] = [];
  const aborted: string[] = [];
  const storage = {
    list: async () => keys.map((key) => ({ key, size: 1, lastModified: 0 })),
    listUploads: async () => uploads.map((key, i) => ({ key, uploadId: `u${i}` })),
    delete: async (_b: string, key: string) => void deleted.push(key),
    abortMultipart: async (_b: string, key: string) => void aborted.push(key),
  } as Partial<ObjectStorage> as ObjectStorage;
  return { deps: { storage } as ActivityDeps, deleted, aborted };
}

describe('removeTemporaryObjects', () => {
  const env = () => activityEnv({ workflowExecution: { workflowId: 'vsr-a', runId: 'r1' } });
  const others = [
    'vsr-tmp/vsr-a-2/source',
    'vsr-tmp/vsr-ab/source',
    'vsr-tmp/vsr-a/nested/x',
    'vsr-tmp/other/source',
    'in/video.mp4',
    'vsr-tmp/vsr-a/',
  ];

  it('deletes and aborts only keys directly under its own vsr-tmp/<workflowId>/ prefix', async () => {
    const { deps, deleted, aborted } = careless(['vsr-tmp/vsr-a/source', ...others], ['vsr-tmp/vsr-a/source', ...others]);
    const r = await env().run(makeCleanup(deps).removeTemporaryObjects, { bucket: 'b-1', prefix: 'vsr-tmp/vsr-a/' });
    assert.deepEqual(deleted, ['vsr-tmp/vsr-a/source']);
    assert.deepEqual(aborted, ['vsr-tmp/vsr-a/source']);
    assert.deepEqual(r, { objects: 1, uploads: 1, skipped: others.length * 2 });
  });

  it("refuses a prefix that is not the calling workflow's own", async () => {
    const { deps, deleted } = careless(['vsr-tmp/vsr-b/source'], []);
    for (const prefix of ['vsr-tmp/vsr-b/', 'vsr-tmp/', 'vsr-tmp/vsr-a', '']) {
      await assert.rejects(
        env().run(makeCleanup(deps).removeTemporaryObjects, { bucket: 'b-1', prefix }),
        (e: Error) => e instanceof ApplicationFailure && e.nonRetryable && /refusing to clean/.test(e.message),
        prefix,
      );
    }
    assert.deepEqual(deleted, []);
  });
});
