// Never paying twice on the real API shapes (viapi 2023-01-17 job list without inputs, its rate limit and window):
// many pipelines at once through the account's submit lane, submit answers lost, each output checked to be the
// upscale of its own input; cancelling a waiting job at the provider; the lane keeping the account's pace.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { SuperResolveInput, SuperResolveResult } from '../../workflows/contract';
import type { VsrWorkers } from '../../workers/worker';
import { countingViapi, type ViapiCounts } from '../harness/countingViapi';
import { inProcessWorker, startTestStack, until, type TestStack } from '../harness/stack';

const run = promisify(execFile);
const CLIPS = 20;

/** A 1-second 640x360 clip: a colour of its own (hue by index) with a black box in a place of its own. */
async function distinctClip(file: string, i: number): Promise<string> {
  const hue = (i * 360) / CLIPS;
  const [r, g, b] = [0, 8, 4].map((k) => {
    const x = (k + hue / 30) % 12;
    return Math.round(230 * (1 - 0.8 * Math.max(0, Math.min(x - 3, 9 - x, 1))));
  });
  const colour = `0x${[r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
  const box = `drawbox=x=${(i % 5) * 128}:y=${Math.floor(i / 5) * 90}:w=128:h=90:color=black:t=fill`;
  await run('ffmpeg', [
    ...['-hide_banner', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', `color=c=${colour}:s=640x360:r=10:d=1`],
    ...['-vf', box, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-preset', 'ultrafast', file],
  ]);
  return file;
}

/** The middle frame scaled to 16x9, as RGB bytes: what a video shows, whatever its size or encoding. */
async function signature(file: string): Promise<Buffer> {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-ss', '0.5', '-i', file, '-vf', 'scale=16:9:flags=area,format=rgb24', '-frames:v', '1', '-f', 'rawvideo', '-'],
    { encoding: 'buffer' },
  );
  return stdout;
}

function distance(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return sum / a.length;
}

async function inBatches<T, R>(items: T[], size: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map((t, j) => fn(t, i + j)))));
  return out;
}

describe('never paying twice, on the real API shapes', () => {
  let stack: TestStack;
  let worker: { worker: VsrWorkers; running: Promise<void> };
  let calls: ViapiCounts;
  let clips: string[];
  let n = 0;

  before(async () => {
    // The stand-in enforces the real account limit (2 submits/s): vsr's own pace must never meet Throttling.User.
    stack = await startTestStack('never-pay-twice', { submitsPerSecond: 2 });
    const counting = countingViapi(stack);
    calls = counting.counts;
    worker = await inProcessWorker(stack, { maxConcurrentActivities: 40 }, { viapi: counting.viapi });
    clips = await inBatches(
      Array.from({ length: CLIPS }, (_, i) => path.join(stack.dir, `clip-${i}.mp4`)),
      4,
      (f, i) => distinctClip(f, i),
    );
  });
  after(async () => {
    worker.worker.shutdown();
    await worker.running;
    await stack.close();
  });

  function job(source: string, bitRateMbps = 2): SuperResolveInput {
    return {
      source: { kind: 'local', path: source },
      destination: { kind: 'local', path: path.join(stack.dir, `out-${++n}.mp4`) },
      bitRateMbps,
    };
  }

  it(`${CLIPS} pipelines at once, 30% of submit answers lost: exactly ${CLIPS} billable jobs, each output its own input's upscale`, async () => {
    const inputs = await Promise.all(clips.map(signature));
    for (let i = 0; i < CLIPS; i++)
      for (let j = i + 1; j < CLIPS; j++) assert.ok(distance(inputs[i], inputs[j]) > 100, `clips ${i} and ${j} look alike`);
    const billed = stack.cloud.billableJobs();
    const before = { ...calls };
    const jobsBefore = new Set(stack.cloud.jobs.all().map((j) => j.jobId));
    // At least two answers lost for certain, then each with a chance of 30%.
    Object.assign(stack.cloud.faults, { dropSubmitResponses: 2, dropSubmitResponseRate: 0.3 });
    const started = Date.now();
    let results: SuperResolveResult[];
    try {
      const inputsToRun = clips.map((c) => job(c));
      const handles = await Promise.all(inputsToRun.map((input) => stack.vsr.start(input)));
      results = await Promise.all(handles.map((h) => stack.vsr.result(h.workflowId)));
      const outputs = await inBatches(inputsToRun, 4, (input) => signature((input.destination as { path: string }).path));
      for (const [i, out] of outputs.entries()) {
        const d = inputs.map((s) => distance(out, s));
        const nearest = d.indexOf(Math.min(...d));
        assert.equal(nearest, i, `output ${i} looks like input ${nearest} (distances ${d.map((x) => x.toFixed(0)).join(' ')})`);
      }
    } finally {
      Object.assign(stack.cloud.faults, { dropSubmitResponses: 0, dropSubmitResponseRate: 0 });
    }
    const newJobs = stack.cloud.jobs.all().filter((j) => !jobsBefore.has(j.jobId));
    assert.equal(stack.cloud.billableJobs() - billed, CLIPS, 'exactly one billable job per video');
    assert.equal(newJobs.length, CLIPS, 'no job made beyond one per video (cancelled ones included)');
    assert.deepEqual(new Set(results.map((r) => r.jobId)), new Set(newJobs.map((j) => j.jobId)), 'each video has a job of its own');
    const lists = calls.lists - before.lists;
    const lost = calls.lostSubmits - before.lostSubmits;
    assert.ok(lost >= 2 && lists >= lost, `each of the ${lost} lost answers was reconciled through the job list (${lists} calls)`);
    assert.equal(calls.throttled - before.throttled, 0, "vsr's own traffic never met Throttling.User (submits or job list)");
    console.log(
      `# ${CLIPS} pipelines, ${calls.submits - before.submits} submits for ${CLIPS} jobs, ${lost} answers lost and reconciled with ${lists} job list calls, ` +
        `0 throttled, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });

  it('one source at 5 and at 20 Mbps, both submit answers lost: two jobs, each at its own bitrate, never one shared', async () => {
    const jobsBefore = new Set(stack.cloud.jobs.all().map((j) => j.jobId));
    stack.cloud.faults.dropSubmitResponses = 2;
    try {
      const inputs = [job(clips[2], 5), job(clips[2], 20)];
      const handles = await Promise.all(inputs.map((input) => stack.vsr.start(input)));
      const [a, b] = await Promise.all(handles.map((h) => stack.vsr.result(h.workflowId)));
      assert.notEqual(a.jobId, b.jobId, 'each request has a job of its own');
      assert.equal(stack.cloud.jobs.get(a.jobId)?.bitRate, 5);
      assert.equal(stack.cloud.jobs.get(b.jobId)?.bitRate, 20);
      const newJobs = stack.cloud.jobs.all().filter((j) => !jobsBefore.has(j.jobId));
      assert.equal(newJobs.length, 2, 'no job beyond one per request');
      const [sizeA, sizeB] = inputs.map((i) => fs.statSync((i.destination as { path: string }).path).size);
      assert.ok(sizeB > sizeA, `the 20 Mbps output (${sizeB} bytes) is larger than the 5 Mbps one (${sizeA} bytes)`);
    } finally {
      stack.cloud.faults.dropSubmitResponses = 0;
    }
  });

  it('keeps the account pace with a queue of requests: submits about 1/rate apart, no Throttling.User', async () => {
    const before = { ...calls, accepted: calls.acceptedAt.length };
    const handles = await Promise.all(clips.map((c) => stack.vsr.start(job(c, 3))));
    await Promise.all(handles.map((h) => stack.vsr.result(h.workflowId)));
    const sent = calls.acceptedAt.slice(before.accepted).sort((a, b) => a - b);
    assert.equal(sent.length, CLIPS);
    assert.equal(calls.throttled - before.throttled, 0, 'no Throttling.User');
    const gaps = sent.slice(1).map((t, i) => t - sent[i]);
    assert.ok(Math.min(...gaps) >= 495, `submits at least 1/rate apart (closest ${Math.min(...gaps)} ms)`);
    // Figures, not pass marks: how close the lane comes to the account's ceiling. Overall includes the ramp (the first
    // pipelines reach the lane before the others have validated and uploaded); the median gap is the steady pace.
    const overall = (1000 * gaps.length) / (sent[sent.length - 1] - sent[0]);
    const median = gaps.sort((a, b) => a - b)[gaps.length >> 1];
    console.log(
      `# lane: ${CLIPS} submits at ${overall.toFixed(2)}/s overall, ${(1000 / median).toFixed(2)}/s steady (median gap ${median} ms); ceiling 2/s`,
    );
  });

  it('cancelled while its job is QUEUING: the job ends JOB_CANCELED at the provider and is not billed', async () => {
    const billed = stack.cloud.billableJobs();
    stack.cloud.faults.queueDelayMs = 3600_000; // the provider is busy: jobs wait
    try {
      const handle = await stack.vsr.start(job(clips[0], 4));
      const jobId = await until('the job to be submitted', async () => (await stack.vsr.progress(handle.workflowId)).jobId);
      assert.equal(stack.cloud.jobs.get(jobId)?.status, 'QUEUING');
      await handle.cancel();
      await assert.rejects(handle.result());
      assert.equal(stack.cloud.jobs.get(jobId)?.status, 'JOB_CANCELED');
      assert.equal(stack.cloud.billableJobs(), billed, 'nothing billed');
      assert.match((await stack.vsr.progress(handle.workflowId)).error ?? '', /was cancelled while it waited \(not billed\)/);
    } finally {
      stack.cloud.faults.queueDelayMs = 0;
    }
  });

  it('cancelled while its job is PROCESSING: the job is left to finish (billed), its output discarded, and the user told', async () => {
    const billed = stack.cloud.billableJobs();
    stack.cloud.faults.jobDelayMs = 3600_000; // a long job, on the stand-in's clock
    const handle = await stack.vsr.start(job(clips[1], 4));
    try {
      const jobId = await until('the job to be processing', async () => {
        const id = (await stack.vsr.progress(handle.workflowId)).jobId;
        return id && stack.cloud.jobs.get(id)?.status === 'PROCESSING' ? id : undefined;
      });
      await handle.cancel();
      await assert.rejects(handle.result());
      assert.equal(stack.cloud.jobs.get(jobId)?.status, 'PROCESSING', 'a started job cannot be cancelled');
      assert.equal(stack.cloud.billableJobs(), billed + 1);
      assert.match(
        (await stack.vsr.progress(handle.workflowId)).error ?? '',
        new RegExp(`provider job ${jobId} was already PROCESSING: the provider finishes it \\(billed\\), vsr discards its output`),
      );
    } finally {
      stack.cloud.faults.jobDelayMs = 0;
      stack.cloud.clock.advance(3600_000);
      await stack.cloud.idle();
    }
    assert.equal(fs.existsSync(path.join(stack.dir, `out-${n}.mp4`)), false, 'no output delivered');
  });
});
