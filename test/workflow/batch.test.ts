// The vsrBatch workflow over stub activities (its children are real superResolveVideo runs) on the time-skipping server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import type { ActivityDeps } from '../../activities/deps';
import { makeBatchActivities } from '../../activities/batch';
import type { BatchInput, BatchPage, BatchSummary } from '../../workflows/batchContract';
import { ErrorTypes, type SuperResolveInput } from '../../workflows/contract';
import { batchProgressQuery } from '../../workflows/signals';
import { vsrBatch } from '../../workflows/batch';
import { superResolveVideo } from '../../workflows/superResolve';
import { FakeActivities, validated } from '../harness/fakeActivities';
import { describeLocation } from '../../workflows/locations';
import { blockUntilCancelled, gate, rootCause, stubSuite, userFailure } from '../harness/workflowEnv';

describe('vsrBatch workflow', () => {
  const suite = stubSuite();
  let n = 0;

  /** A manifest of `count` local videos with fresh workflow ids. */
  function items(count: number): BatchPage['items'] {
    n += 1;
    return Array.from({ length: count }, (_, i) => ({
      source: { kind: 'local' as const, path: `/in/b${n}-v${i}.mp4` },
      destination: { kind: 'local' as const, path: `/out/b${n}-v${i}.x2.mp4` },
      workflowId: `vsr-b${n}-v${i}`,
    }));
  }

  function batchInput(over: Partial<BatchInput> = {}): BatchInput {
    return { batchId: `b${n}`, manifest: { kind: 'folder', path: '/in' }, output: { kind: 'local', dir: '/out' }, ...over };
  }

  function withDescribe(fake: FakeActivities): FakeActivities {
    // The real lookup of an earlier run, through a plain client: the time-skipping one's result() would lock time.
    const temporal = new Client({ connection: suite.env.connection, namespace: suite.env.namespace });
    const { describeItem } = makeBatchActivities({ temporal } as ActivityDeps);
    return Object.assign(new FakeActivities({ ...fake.overrides, describeItem }), { items: fake.items, jobs: fake.jobs });
  }

  async function runBatch(fake: FakeActivities, input: BatchInput): Promise<{ summary: BatchSummary; runs: number }> {
    return suite.workers.run(fake.activities(), async (taskQueue) => {
      const handle = await suite.env.client.workflow.start(vsrBatch, { taskQueue, workflowId: `batch-${input.batchId}`, args: [input] });
      const summary = await handle.result();
      let runs = 1;
      const first = suite.env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
      for (let e = (await first.fetchHistory()).events ?? []; ; runs++) {
        const next = e.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
        if (!next) break;
        e = (await suite.env.client.workflow.getHandle(handle.workflowId, next).fetchHistory()).events ?? [];
      }
      return { summary, runs };
    });
  }

  it('lists up to 5 pages per run, then continues as new, carrying counts and the "since" mark to the summary', async () => {
    const fake = new FakeActivities();
    fake.providerSource = { kind: 'url', url: 'http://127.0.0.1:1/v.mp4' };
    fake.items = items(13);
    fake.marker = 12_345;
    const { summary, runs } = await runBatch(fake, batchInput({ pageSize: 2, concurrency: 3, sinceLastSuccess: true }));
    assert.equal(runs, 2);
    assert.deepEqual([summary.total, summary.done, summary.failed, summary.skipped], [13, 13, 0, 0]);
    const listed = fake.inputsOf<{ offset: number; since?: number }>('listBatchItems');
    assert.deepEqual(
      listed.map((l) => [l.offset, l.since]),
      [0, 2, 4, 6, 8, 10, 12].map((offset) => [offset, 12_345]),
    );
    assert.deepEqual(
      [...fake.pages.keys()].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6],
    );
    assert.deepEqual(
      fake.pages.get(6)?.map((r) => [r.source, r.status, r.jobId]),
      [[describeLocation(fake.items[12].source), 'done', 'J13']],
    );
    for (const [page, rows] of fake.pages)
      assert.deepEqual(
        rows.map((r) => r.source).sort(),
        fake.items
          .slice(page * 2, page * 2 + 2)
          .map((i) => describeLocation(i.source))
          .sort(),
        `page ${page} holds its own videos' rows`,
      );
    assert.equal(fake.count('writeBatchMarker'), 1, 'a clean run moves the mark');
  });

  it("fills free slots from the next page while the current page's videos still run", async () => {
    // The first two jobs wait in their polls until page 1's first video has started, which only overlapping pages
    // allow; without them the wait gives up after 5 s (a bound on failing, not a pause the pass needs).
    const page0 = gate();
    let active = 0;
    let most = 0;
    const fake = new FakeActivities({
      validateInput: async (input: SuperResolveInput) => {
        most = Math.max(most, ++active);
        if (input.source.kind === 'local' && input.source.path.endsWith('-v2.mp4')) page0.open();
        return validated();
      },
      pollJob: async ({ jobId }: { jobId: string }) => {
        if (jobId === 'J1' || jobId === 'J2') await Promise.race([page0.wait, new Promise((r) => setTimeout(r, 5000))]);
        return { status: 'PROCESS_SUCCESS' as const };
      },
      removeTemporaryObjects: async () => {
        active -= 1;
        return { objects: 1, uploads: 0, skipped: 0 };
      },
    });
    fake.items = items(4);
    const { summary, runs } = await runBatch(fake, batchInput({ pageSize: 2, concurrency: 3 }));
    assert.deepEqual([summary.done, runs], [4, 1]);
    assert.equal(most, 3, 'three videos from two pages at once');
  });

  it('one bad video fails only itself, with its typed reason, and the mark stays', async () => {
    const fake = new FakeActivities({
      validateInput: async (input: SuperResolveInput) => {
        if (input.source.kind === 'local' && input.source.path.endsWith('v1.mp4'))
          throw userFailure(ErrorTypes.ResolutionOutOfRange, 'source.resolution 320x240 is out of range');
        return validated();
      },
    });
    fake.items = items(3);
    const { summary } = await runBatch(fake, batchInput());
    assert.deepEqual([summary.done, summary.failed], [2, 1]);
    const bad = fake.pages.get(0)?.find((r) => r.status === 'failed');
    assert.equal(bad?.source, describeLocation(fake.items[1].source));
    assert.match(bad?.reason ?? '', /^ResolutionOutOfRange: .*320x240/);
    assert.equal(fake.count('writeBatchMarker'), 0, 'failed videos are listed again next time');
  });

  it('skips a video whose workflow finished before, with the earlier job in its row', async () => {
    const fake = withDescribe(new FakeActivities());
    fake.items = items(2);
    await suite.workers.run(fake.activities(), async (taskQueue) => {
      const [done] = fake.items;
      await suite.env.client.workflow.execute(superResolveVideo, {
        taskQueue,
        workflowId: done.workflowId,
        args: [{ source: done.source, destination: done.destination }],
      });
    });
    const { summary } = await runBatch(fake, batchInput());
    assert.deepEqual([summary.done, summary.skipped], [1, 1]);
    const skipped = fake.pages.get(0)?.find((r) => r.status === 'skipped');
    assert.deepEqual([skipped?.reason, skipped?.jobId], ['already done', 'J1']);
  });

  it('runs at most `concurrency` videos at once', async () => {
    let active = 0;
    let most = 0;
    const fake = new FakeActivities({
      validateInput: async () => {
        most = Math.max(most, ++active);
        return validated();
      },
      removeTemporaryObjects: async () => {
        active -= 1;
        return { objects: 1, uploads: 0, skipped: 0 };
      },
    });
    fake.items = items(6);
    const { summary } = await runBatch(fake, batchInput({ concurrency: 2 }));
    assert.equal(summary.done, 6);
    assert.equal(most, 2);
  });

  it('cancelling a batch cancels its running videos, whose compensations run', async () => {
    // Each video waits in its poll until cancelled: a poll completing while the cancellation arrives trips the
    // test server (ACTIVITY_UNKNOWN), which the real server takes in its stride.
    const polling = [gate(), gate()];
    const fake = new FakeActivities({
      pollJob: ({ jobId }: { jobId: string }) => blockUntilCancelled(() => polling[Number(jobId.slice(1)) - 1]?.open()),
    });
    fake.items = items(2);
    await suite.workers.run(fake.activities(), async (taskQueue) => {
      const handle = await suite.env.client.workflow.start(vsrBatch, { taskQueue, workflowId: `batch-b${n}`, args: [batchInput()] });
      const ended = handle.result().catch((e: unknown) => e);
      await Promise.all(polling.map((g) => g.wait));
      assert.equal((await handle.query(batchProgressQuery)).running, 2);
      await handle.cancel();
      assert.equal(rootCause(await ended).name, 'CancelledFailure');
      for (const item of fake.items) {
        const child = suite.env.client.workflow.getHandle(item.workflowId);
        await child.result().catch(() => undefined);
        assert.equal((await child.describe()).status.name, 'CANCELLED');
      }
    });
    assert.equal(fake.count('removeTemporaryObjects'), 2, "each video's upload undone");
    assert.equal(fake.count('writeBatchSummary'), 0);
  });
});
