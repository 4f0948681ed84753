// The workflow's side of file safety, with stub activities on the time-skipping server: a full disk is retried and
// then reported with its folder (compensations run), overwrite reaches the download, refusals at validation stop all,
// and a cancelled run ends cancelled whatever its activity did.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import type { DownloadInput } from '../../activities/types';
import { ErrorTypes, type SuperResolveInput } from '../../workflows/contract';
import { failureMessage } from '../../workflows/failureMessage';
import { superResolveVideo } from '../../workflows/superResolve';
import { FakeActivities } from '../harness/fakeActivities';
import { blockUntilCancelled, gate, stubSuite, userFailure } from '../harness/workflowEnv';

const INPUT: SuperResolveInput = {
  source: { kind: 'local', path: '/videos/a.mp4' },
  destination: { kind: 'oss', bucket: 'media', key: 'out/a.mp4' },
};

describe('file safety in the workflow', () => {
  const suite = stubSuite();
  let n = 0;

  function run(fake: FakeActivities, input: SuperResolveInput = INPUT) {
    return suite.workers.run(fake.activities(), async (taskQueue) => {
      const handle = await suite.env.client.workflow.start(superResolveVideo, { taskQueue, workflowId: `safety-${++n}`, args: [input] });
      return handle.result().then(
        (result) => ({ result, error: undefined }),
        (error: unknown) => ({ result: undefined, error }),
      );
    });
  }

  it('retries a download that ran out of disk space, then fails naming the folder, and removes the partial output', async () => {
    const fake = new FakeActivities({
      downloadResult: async () => {
        throw ApplicationFailure.create({
          type: ErrorTypes.NoSpaceLeft,
          message: 'no space left in /var/vsr/work for the result (1048576 of 6291456 bytes written, partial file removed)',
        });
      },
    });
    const { error } = await run(fake);
    assert.ok(error instanceof WorkflowFailedError);
    assert.match(failureMessage(error), /^NoSpaceLeft: no space left in \/var\/vsr\/work/);
    assert.ok(fake.count('downloadResult') > 1, 'space may be freed: the download is retried');
    const names = fake.names();
    assert.deepEqual(names.slice(names.lastIndexOf('downloadResult') + 1), ['removePartialOutput', 'removeTemporaryObjects']);
  });

  it('passes overwrite to the download, false unless asked', async () => {
    for (const overwrite of [undefined, true]) {
      const fake = new FakeActivities();
      await run(fake, { ...INPUT, overwrite });
      assert.equal(fake.inputsOf<DownloadInput>('downloadResult')[0].overwrite, overwrite);
    }
  });

  it('ends cancelled when cancelled, even if the activity then fails instead of acknowledging (a worker killed meanwhile)', async () => {
    const uploading = gate();
    const fake = new FakeActivities({
      uploadSource: async () => {
        await blockUntilCancelled(uploading.open).catch(() => undefined);
        throw ApplicationFailure.create({ type: 'TimedOut', message: 'the worker died before acknowledging', nonRetryable: true });
      },
    });
    const error = await suite.workers.run(fake.activities(), async (taskQueue) => {
      const handle = await suite.env.client.workflow.start(superResolveVideo, { taskQueue, workflowId: `safety-${++n}`, args: [INPUT] });
      await uploading.wait;
      await handle.cancel();
      return handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
    });
    assert.ok(error instanceof WorkflowFailedError);
    assert.ok(error.cause instanceof CancelledFailure, `ended ${String(error.cause)}`);
    assert.deepEqual(fake.names().slice(-1), ['removeTemporaryObjects'], 'the compensation ran');
  });

  for (const type of [ErrorTypes.DestinationExists, ErrorTypes.SourceNotAllowed, ErrorTypes.InvalidDestination]) {
    it(`stops at validation on ${type}: nothing uploaded, submitted or undone`, async () => {
      const fake = new FakeActivities({
        validateInput: async () => {
          throw userFailure(type, `refused (${type})`);
        },
      });
      const { error } = await run(fake);
      assert.equal(failureMessage(error), `${type}: refused (${type})`);
      assert.deepEqual(fake.names(), ['validateInput']);
    });
  }
});
