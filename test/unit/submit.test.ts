// The submit activity's "never pay twice" rules, with a fake provider.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ActivityDeps } from '../../activities/deps';
import { ViapiCallError, type JobListEntry, type ViapiClient } from '../../activities/provider/viapi';
import { makeSubmit, sourceIdentity } from '../../activities/submit';
import type { SubmitInput } from '../../activities/types';

function fakeProvider(submitBehaviour: () => Promise<{ jobId: string }>, listed: JobListEntry[] = []) {
  const calls = { submits: 0, lists: 0 };
  const viapi: ViapiClient = {
    submit: async () => {
      calls.submits += 1;
      return submitBehaviour();
    },
    getResult: async () => {
      throw new Error('unused');
    },
    listJobs: async () => {
      calls.lists += 1;
      return { total: listed.length, jobs: listed };
    },
  };
  const deps = {
    viapi,
    storage: { signGetUrl: (b: string, k: string) => `http://localhost:1/${b}/${k}?OSSAccessKeyId=x&Expires=9&Signature=${Math.random()}` },
    now: () => 1_000_000,
  } as unknown as ActivityDeps; // only what submit touches
  return { calls, submit: makeSubmit(deps) };
}

const input: SubmitInput = {
  workflowId: 'wf',
  providerSource: { kind: 'oss', bucket: 'b-1', key: 'vsr-tmp/wf/source' },
  bitRateMbps: 5,
  notBefore: 999_000,
  excludeJobIds: [],
};
const mine = (jobId: string): JobListEntry => ({
  jobId,
  status: 'QUEUING',
  createdAt: 999_500,
  videoUrl: 'http://localhost:1/b-1/vsr-tmp/wf/source?OSSAccessKeyId=x&Expires=1&Signature=other',
});

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
  return err;
}

describe('submit activity', () => {
  it('submits once on the first attempt', async () => {
    const { calls, submit } = fakeProvider(async () => ({ jobId: 'J1' }));
    assert.deepEqual(await new MockActivityEnvironment().run(submit, input), { jobId: 'J1', reconciled: false });
    assert.deepEqual(calls, { submits: 1, lists: 0 });
  });

  it('on a retry, adopts the job an earlier attempt created instead of paying again', async () => {
    const { calls, submit } = fakeProvider(async () => ({ jobId: 'NEW' }), [mine('J0')]);
    assert.deepEqual(await new MockActivityEnvironment({ attempt: 2 }).run(submit, input), { jobId: 'J0', reconciled: true });
    assert.equal(calls.submits, 0);
  });

  it('ignores jobs it already knows about (earlier LIMIT_RETRY_FAILED ones)', async () => {
    const { calls, submit } = fakeProvider(async () => ({ jobId: 'J2' }), [mine('J0')]);
    const r = await new MockActivityEnvironment({ attempt: 2 }).run(submit, { ...input, excludeJobIds: ['J0'] });
    assert.deepEqual(r, { jobId: 'J2', reconciled: false });
    assert.equal(calls.submits, 1);
  });

  it('reconciles an unknown outcome (lost response) before anything else', async () => {
    const { calls, submit } = fakeProvider(async () => {
      throw new ViapiCallError('unknown', 'ECONNRESET', undefined, 'socket hang up');
    }, [mine('J9')]);
    assert.deepEqual(await new MockActivityEnvironment().run(submit, input), { jobId: 'J9', reconciled: true });
    assert.equal(calls.submits, 1);
  });

  it('an unknown outcome with no job found is retryable, and the retry looks again first', async () => {
    const { submit } = fakeProvider(async () => {
      throw new ViapiCallError('unknown', 'ETIMEDOUT', undefined, 'timeout');
    });
    const f = await failureOf(new MockActivityEnvironment().run(submit, input));
    assert.equal(f.type, 'SubmitOutcomeUnknown');
    assert.equal(f.nonRetryable, false);
  });

  it('retries what surely did not create a job; fails at once on rejections and bad credentials', async () => {
    const cases: Array<[ViapiCallError, string, boolean]> = [
      [new ViapiCallError('not-sent', 'ECONNREFUSED', undefined, 'refused'), 'ProviderUnreachable', false],
      [new ViapiCallError('rejected', 'Throttling.User', 400, 'flow control'), 'ProviderThrottled', false],
      [new ViapiCallError('rejected', 'ServiceUnavailable', 503, 'down'), 'ProviderUnavailable', false],
      [new ViapiCallError('rejected', 'InvalidParameter', 400, 'bad'), 'ProviderRejected', true],
      [new ViapiCallError('rejected', 'InvalidAccessKeyId.NotFound', 404, 'who'), 'ProviderAuth', true],
    ];
    for (const [error, type, nonRetryable] of cases) {
      const { submit } = fakeProvider(async () => {
        throw error;
      });
      const f = await failureOf(new MockActivityEnvironment().run(submit, input));
      assert.equal(f.type, type, error.code);
      assert.equal(f.nonRetryable, nonRetryable, error.code);
    }
  });

  it('identifies signed URLs by object, not by signature', () => {
    assert.equal(
      sourceIdentity('http://h:1/b/k?OSSAccessKeyId=a&Expires=1&Signature=x'),
      sourceIdentity('http://h:1/b/k?OSSAccessKeyId=a&Expires=2&Signature=y'),
    );
    assert.notEqual(sourceIdentity('https://h/v.mp4?token=1'), sourceIdentity('https://h/v.mp4?token=2'));
  });
});
