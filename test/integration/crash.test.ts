// Workers killed (SIGKILL) mid-upload, mid-poll and mid-download, then restarted: each job finishes, paid once.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeSampleVideo } from '../../app/embedded/sample';
import { probe } from '../../activities/media';
import type { Stage, SuperResolveInput } from '../../workflows/contract';
import { startTestStack, until, workerProcess, type TestStack } from '../harness/stack';

describe('worker crashes', () => {
  let stack: TestStack;
  let source: string;
  let child: ChildProcess | undefined;
  let n = 0;

  before(async () => {
    stack = await startTestStack('crash');
    // About 3 MB, so throttled transfers take seconds and a crash lands mid-way.
    source = await makeSampleVideo(path.join(stack.dir, 'source.mp4'), { width: 640, height: 360, seconds: 6, bitRateMbps: 4 });
  });
  after(async () => {
    child?.kill('SIGKILL');
    await stack.close();
  });

  function startWorker(): ChildProcess {
    child = workerProcess(stack, { VSR_UPLOAD_PART_BYTES: String(256 * 1024) });
    return child;
  }

  async function kill(worker: ChildProcess): Promise<void> {
    const gone = new Promise((r) => worker.once('exit', r));
    worker.kill('SIGKILL');
    await gone;
  }

  /** Starts a job on a fresh worker process, waits for `ready`, kills the worker and starts another. */
  async function crashWhen(
    what: string,
    ready: (workflowId: string) => Promise<boolean>,
  ): Promise<{ input: SuperResolveInput; workflowId: string }> {
    n += 1;
    const input: SuperResolveInput = {
      source: { kind: 'local', path: source },
      destination: { kind: 'local', path: path.join(stack.dir, `out-${n}.mp4`) },
      bitRateMbps: 8,
    };
    const worker = startWorker();
    const handle = await stack.vsr.start(input);
    await until(what, async () => (await ready(handle.workflowId)) || undefined, 90_000, 50);
    await kill(worker);
    startWorker();
    return { input, workflowId: handle.workflowId };
  }

  function crashDuring(stage: Stage, needBytes: boolean): Promise<{ input: SuperResolveInput; workflowId: string }> {
    return crashWhen(`${stage} in progress`, async (workflowId) => {
      const p = await stack.vsr.progress(workflowId);
      return p.stage === stage && (!needBytes || p.bytesDone > 0);
    });
  }

  /** Parts the server has recorded in the upload's last heartbeat (its resume point). */
  async function checkpointedParts(workflowId: string): Promise<number> {
    const pending = (await stack.vsr.client.workflow.getHandle(workflowId).describe()).raw.pendingActivities ?? [];
    const details = pending.find((a) => a.activityType?.name === 'uploadSource')?.heartbeatDetails?.payloads?.[0]?.data;
    return details ? (JSON.parse(Buffer.from(details).toString()) as { parts: unknown[] }).parts.length : 0;
  }

  it('killed mid-upload: resumes from the last completed part', async () => {
    const billed = stack.cloud.billableJobs();
    const parts = stack.cloud.ossStats.uploadParts;
    stack.cloud.faults.ossBytesPerSecond = 1_000_000;
    let run;
    let beforeCrash: number;
    let checkpointed = 0;
    try {
      run = await crashWhen('a checkpointed part', async (workflowId) => (checkpointed = await checkpointedParts(workflowId)) > 0);
      beforeCrash = stack.cloud.ossStats.uploadParts - parts;
    } finally {
      stack.cloud.faults.ossBytesPerSecond = 0;
    }
    const result = await stack.vsr.result(run.workflowId);
    await kill(child as ChildProcess);
    const totalParts = Math.ceil((await probe(source)).sizeBytes / (256 * 1024));
    const afterCrash = stack.cloud.ossStats.uploadParts - parts - beforeCrash;
    // Restarting from zero would send every part again after the crash.
    assert.ok(
      afterCrash <= totalParts - checkpointed,
      `${afterCrash} of ${totalParts} parts sent after the crash, though ${checkpointed} were checkpointed before it`,
    );
    assert.equal(stack.cloud.billableJobs(), billed + 1);
    assert.equal(result.width, 1280);
  });

  it('killed mid-poll: the durable timer carries on under the new worker', async () => {
    const billed = stack.cloud.billableJobs();
    stack.cloud.faults.jobDelayMs = 6000;
    let run;
    try {
      run = await crashDuring('polling', false);
    } finally {
      stack.cloud.faults.jobDelayMs = 0;
    }
    const result = await stack.vsr.result(run.workflowId);
    await kill(child as ChildProcess);
    assert.equal(stack.cloud.billableJobs(), billed + 1);
    assert.equal((await probe((run.input.destination as { path: string }).path)).height, 720);
    assert.ok(result.sha256);
  });

  it('killed mid-download: resumes with a Range request', async () => {
    const billed = stack.cloud.billableJobs();
    const ranged = stack.cloud.ossStats.rangeGets;
    let run;
    try {
      const pending = crashDuring('downloading', true);
      // Slow the network only once the job is submitted: a quick upload, then a slow download.
      await until('the job to be submitted', async () => (stack.cloud.billableJobs() > billed ? true : undefined), 60_000, 20);
      stack.cloud.faults.ossBytesPerSecond = 1_500_000;
      run = await pending;
    } finally {
      stack.cloud.faults.ossBytesPerSecond = 0;
    }
    const result = await stack.vsr.result(run.workflowId);
    await kill(child as ChildProcess);
    assert.ok(stack.cloud.ossStats.rangeGets > ranged, 'the restarted download used a Range request');
    assert.equal(stack.cloud.billableJobs(), billed + 1);
    const facts = await probe((run.input.destination as { path: string }).path);
    assert.deepEqual([facts.videoCodec, facts.width, facts.height], ['h264', 1280, 720]);
    assert.equal(result.sizeBytes, facts.sizeBytes);
  });
});
