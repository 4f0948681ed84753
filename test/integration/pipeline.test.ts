// The pipeline over the real wire: a Temporal dev server, the local stand-in, ffmpeg. Workflow branches (resubmits,
// deadlines, cancellation, continue-as-new, each provider outcome) are tested with stubs in test/workflow/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import type { VsrWorkers } from '../../workers/worker';
import { failureMessage } from '../../client';
import { makeSampleVideo } from '../../app/embedded/sample';
import { partialPath } from '../../activities/destination';
import { probe } from '../../activities/media';
import type { SuperResolveInput } from '../../workflows/contract';
import { countingViapi, type ViapiCounts } from '../harness/countingViapi';
import { inProcessWorker, startTestStack, until, type TestStack } from '../harness/stack';

describe('superResolveVideo pipeline', () => {
  let stack: TestStack;
  let worker: { worker: VsrWorkers; running: Promise<void> };
  let sample: string;
  let calls: ViapiCounts;
  let n = 0;

  before(async () => {
    stack = await startTestStack('pipeline');
    const counting = countingViapi(stack);
    calls = counting.counts;
    worker = await inProcessWorker(stack, {}, { viapi: counting.viapi });
    sample = await makeSampleVideo(path.join(stack.dir, 'sample.mp4'), { width: 640, height: 360, seconds: 2 });
  });
  after(async () => {
    worker.worker.shutdown();
    await worker.running;
    await stack.close();
  });

  function job(over: Partial<SuperResolveInput> = {}): SuperResolveInput {
    n += 1;
    return {
      source: { kind: 'local', path: sample },
      destination: { kind: 'local', path: path.join(stack.dir, `out-${n}.mp4`) },
      bitRateMbps: 3,
      ...over,
    };
  }

  async function tempObjects(): Promise<string[]> {
    return stack.cloud.objects.list(stack.cloud.bucket, 'vsr-tmp/').map((m) => m.key);
  }

  /** The failure's message, and the activities the workflow scheduled (from its history). */
  async function expectFailure(input: SuperResolveInput, type: string): Promise<{ message: string; activities: string[] }> {
    const handle = await stack.vsr.start(input);
    const err = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError, `expected a failure of type ${type}`);
    const message = failureMessage(err);
    assert.ok(message.startsWith(`${type}: `), `expected ${type}, got ${message}`);
    const events = (await handle.fetchHistory()).events ?? [];
    const activities = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    return { message, activities };
  }

  it('upscales a local file end to end, verified with ffprobe, temporaries removed; a second start joins it', async () => {
    const billed = stack.cloud.billableJobs();
    const input = job();
    const [handle, twin] = await Promise.all([stack.vsr.start(input, { key: `same-${n}` }), stack.vsr.start(input, { key: `same-${n}` })]);
    assert.equal(twin.workflowId, handle.workflowId);
    const result = await stack.vsr.result(handle.workflowId);
    assert.equal(
      (await stack.vsr.start(input, { key: `same-${n}` })).workflowId,
      handle.workflowId,
      'a finished success is joined, not redone',
    );
    const out = (input.destination as { path: string }).path;
    const facts = await probe(out);
    assert.equal(facts.videoCodec, 'h264');
    assert.match(facts.formatName, /mp4/);
    assert.deepEqual([facts.width, facts.height], [1280, 720]);
    assert.ok(facts.hasAudio);
    assert.equal(result.sizeBytes, (await fs.promises.stat(out)).size);
    assert.match(result.sha256, /^[0-9a-f]{64}$/);
    assert.ok(result.jobId);
    assert.ok((result.timings.polling ?? 0) > 0 && (result.timings.downloading ?? 0) > 0, JSON.stringify(result.timings));
    assert.equal(stack.cloud.billableJobs(), billed + 1);
    assert.deepEqual(await tempObjects(), []);
    assert.equal(fs.existsSync(partialPath(stack.config.workDir, input.destination, handle.workflowId)), false);
    assert.deepEqual(
      fs.readdirSync(stack.dir).filter((f) => f.includes('.vsr-')),
      [],
      'no temporary file beside the output',
    );
    const progress = await stack.vsr.progress(handle.workflowId);
    assert.equal(progress.stage, 'done');
    assert.equal(progress.submits, 1);
    const description = await handle.describe();
    assert.deepEqual(description.searchAttributes.VsrStage, ['done']);
    assert.deepEqual(description.searchAttributes.VsrProvider, ['local']);
    assert.equal(description.memo?.source, sample);
    // No secret and no signed URL anywhere in the history.
    // Payload bytes decoded, so the scan sees what the server stores (JSON of a byte array would show numbers).
    const history = JSON.stringify(await handle.fetchHistory(), (_k, v: unknown) =>
      v instanceof Uint8Array ? Buffer.from(v).toString() : v,
    );
    for (const secret of [stack.cloud.accessKeySecret, 'Signature=', 'OSSAccessKeyId'])
      assert.ok(!history.includes(secret), `history contains ${secret}`);
  });

  it('rejects every bad-input class before uploading or paying anything', async () => {
    const billed = stack.cloud.billableJobs();
    const small = await makeSampleVideo(path.join(stack.dir, 'small.mp4'), { width: 320, height: 240, seconds: 1, audio: false });
    const wide = await makeSampleVideo(path.join(stack.dir, 'wide.mp4'), { width: 2048, height: 1080, seconds: 1, audio: false });
    const notVideo = path.join(stack.dir, 'notes.mp4');
    await fs.promises.writeFile(notVideo, 'this is not a video');
    const cases: Array<[Partial<SuperResolveInput>, string, RegExp]> = [
      [{ bitRateMbps: 0 }, 'InvalidBitRate', /bitRateMbps 0 .* 1 to 100/],
      [{ bitRateMbps: 101 }, 'InvalidBitRate', /bitRateMbps 101/],
      [{ bitRateMbps: 2.5 }, 'InvalidBitRate', /integer/],
      [{ source: { kind: 'local', path: small } }, 'ResolutionOutOfRange', /320x240.*short side 240px is below 360px/],
      [{ source: { kind: 'local', path: wide } }, 'ResolutionOutOfRange', /long side 2048px is above 1920px/],
      [{ source: { kind: 'local', path: notVideo } }, 'UnsupportedContainer', /source.path is not a readable video/],
      [{ source: { kind: 'local', path: path.join(stack.dir, 'missing.mp4') } }, 'SourceNotFound', /missing.mp4/],
      [{ source: { kind: 'url', url: 'http://127.0.0.1:1/视频.mp4' } }, 'NonAsciiUrl', /source.url .*视/],
      [{ source: { kind: 'oss', bucket: stack.cloud.bucket, key: 'nope.mp4' } }, 'SourceNotFound', /does not exist/],
      [{ destination: { kind: 'local', path: 'relative.mp4' } }, 'InvalidDestination', /must be absolute/],
      [{ deadline: 'tomorrow' }, 'InvalidDeadline', /ISO-8601/],
    ];
    for (const [over, type, pattern] of cases) {
      const { message, activities } = await expectFailure(job(over), type);
      assert.match(message, pattern);
      assert.deepEqual(activities, ['validateInput'], `${type}: nothing uploaded or submitted`);
    }
    assert.equal(stack.cloud.billableJobs(), billed, 'nothing paid');
    assert.deepEqual(await tempObjects(), []);
  });

  it("fails with a typed error carrying the provider's status when its job fails, and removes temporary objects", async () => {
    stack.cloud.faults.nextJobOutcomes = ['PROCESS_FAILED'];
    const { message } = await expectFailure(job(), 'ProviderJobFailed');
    assert.match(message, /PROCESS_FAILED/);
    assert.deepEqual(await tempObjects(), []);
  });

  it('recovers when the result URL has expired before the download', async () => {
    stack.cloud.faults.expiredResultUrls = 2;
    const input = job();
    const result = await stack.vsr.result((await stack.vsr.start(input)).workflowId);
    assert.equal(stack.cloud.faults.expiredResultUrls, 0, 'the expired URLs were handed out and refreshed');
    assert.equal(result.width, 1280);
  });

  it('resumes a download cut off mid-stream with a Range request', async () => {
    const ranged = stack.cloud.ossStats.rangeGets;
    stack.cloud.faults.cutDownloads = 1;
    stack.cloud.faults.cutDownloadAfterBytes = 200_000;
    const input = job();
    const result = await stack.vsr.result((await stack.vsr.start(input)).workflowId);
    assert.equal(stack.cloud.faults.cutDownloads, 0);
    assert.ok(stack.cloud.ossStats.rangeGets > ranged, 'resumed with a Range request');
    assert.equal((await probe((input.destination as { path: string }).path)).width, 1280);
    assert.ok(result.sizeBytes > 200_000);
  });

  it('reconciles a submit whose response was lost through the job list, paying once', async () => {
    const billed = stack.cloud.billableJobs();
    const lists = calls.lists;
    stack.cloud.faults.dropSubmitResponses = 1;
    const handle = await stack.vsr.start(job());
    const result = await stack.vsr.result(handle.workflowId);
    assert.equal(stack.cloud.faults.dropSubmitResponses, 0);
    assert.equal(stack.cloud.billableJobs(), billed + 1, 'exactly one billable job');
    assert.ok(calls.lists > lists, 'the lost answer was reconciled with QueryAsyncJobList');
    assert.equal(stack.cloud.jobs.get(result.jobId)?.status, 'PROCESS_SUCCESS', 'the adopted job is the one that ran');
  });

  it('rides out throttling and 5xx answers to its submit: sent again (never listed), paying once', async () => {
    const billed = stack.cloud.billableJobs();
    const { refusedSubmits, lists } = calls;
    stack.cloud.faults.viapiThrottleRate = 1;
    const handle = await stack.vsr.start(job());
    try {
      await until('throttled submits', async () => calls.refusedSubmits >= refusedSubmits + 3 || undefined);
      stack.cloud.faults.viapiThrottleRate = 0;
      stack.cloud.faults.viapiServerErrorRate = 1;
      await until('5xx answers too', async () => calls.refusedSubmits >= refusedSubmits + 6 || undefined);
    } finally {
      stack.cloud.faults.viapiThrottleRate = 0;
      stack.cloud.faults.viapiServerErrorRate = 0;
    }
    const result = await stack.vsr.result(handle.workflowId);
    assert.ok(result.jobId);
    assert.equal(stack.cloud.billableJobs(), billed + 1);
    assert.equal(calls.lists, lists, 'a clean refusal is not reconciled');
  });
});
