// A real run through `vsr worker` (a child process on a real Temporal server and the stand-in): its /metrics
// move while it runs, its JSON log lines carry the ids and stage and leak no secret or signature, and its
// health endpoints answer. Tracing is in traces.test.ts.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeSampleVideo } from '../../app/embedded/sample';
import type { SuperResolveResult } from '../../workflows/contract';
import { METRICS } from '../../workflows/metrics';
import { freeLoopbackPort } from '../../workers/telemetry/runtime';
import { metric, scrape, type Sample } from '../harness/prometheus';
import { startTestStack, until, workerProcess, type TestStack } from '../harness/stack';

describe('observing a real run through vsr worker', () => {
  let stack: TestStack;
  let child: ChildProcess;
  let url: string;
  let output = '';
  let sample: string;

  before(async () => {
    stack = await startTestStack('observe');
    sample = await makeSampleVideo(path.join(stack.dir, 'sample.mp4'), { width: 640, height: 360, seconds: 2 });
    url = `http://127.0.0.1:${await freeLoopbackPort()}`;
    // DEBUG: the provider calls are logged with the signed URLs they carry, which the redaction must catch.
    child = workerProcess(
      stack,
      { VSR_METRICS_ADDRESS: url.replace('http://', ''), VSR_LOG_LEVEL: 'DEBUG', VSR_UPLOAD_PART_BYTES: String(256 * 1024) },
      (t) => (output += t),
    );
    await until('the worker to be ready', async () => ((await fetch(`${url}/readyz`)).ok ? true : undefined), 60_000, 200);
  });
  after(async () => {
    child.kill('SIGKILL');
    await stack.close();
  });

  it('serves liveness and readiness with each check named', async () => {
    const live = await fetch(`${url}/healthz`);
    assert.equal(live.status, 200);
    const ready = (await (await fetch(`${url}/readyz`)).json()) as { status: string; checks: Record<string, string> };
    assert.deepEqual(ready, { status: 'ready', checks: { workers: 'ok', temporal: 'ok', 'provider-viapi': 'ok', 'provider-oss': 'ok' } });
    assert.equal((await fetch(`${url}/nope`)).status, 404);
  });

  it('metrics move during a run: jobs, provider calls, throttling, bytes, stage durations, billing, the submit lane', async () => {
    const before = await scrape(url);
    const billed = stack.cloud.billableJobs();
    stack.cloud.faults.viapiThrottleRate = 1; // the first submits are throttled
    stack.cloud.faults.dropSubmitResponses = 1; // then the job is made but its answer lost: the lane reconciles
    let during: Sample[];
    const handle = await stack.vsr.start({
      source: { kind: 'local', path: sample },
      destination: { kind: 'local', path: path.join(stack.dir, 'out.mp4') },
    });
    try {
      during = await until(
        'throttling to show in the metrics',
        async () => {
          const s = await scrape(url);
          return metric(s, METRICS.providerThrottled, { action: 'SuperResolveVideo' }) > 0 ? s : undefined;
        },
        60_000,
        200,
      );
    } finally {
      stack.cloud.faults.viapiThrottleRate = 0;
    }
    const result = (await handle.result()) as SuperResolveResult;
    const end = await until('the success to be counted', async () => {
      const s = await scrape(url);
      return metric(s, METRICS.jobsSucceeded) > metric(before, METRICS.jobsSucceeded) ? s : undefined;
    });
    const delta = (name: string, labels: Record<string, string> = {}) => metric(end, name, labels) - metric(before, name, labels);

    // While it ran: started, not yet succeeded.
    assert.equal(metric(during, METRICS.jobsStarted) - metric(before, METRICS.jobsStarted), 1);
    assert.equal(metric(during, METRICS.jobsSucceeded) - metric(before, METRICS.jobsSucceeded), 0);
    assert.ok(metric(during, METRICS.providerErrors, { action: 'SuperResolveVideo', code: 'Throttling.User' }) > 0);
    // At the end.
    assert.equal(delta(METRICS.jobsStarted, { workflowType: 'superResolveVideo' }), 1);
    assert.equal(delta(METRICS.jobsSucceeded, { workflowType: 'superResolveVideo' }), 1);
    assert.equal(delta(METRICS.billableJobs), 1);
    assert.equal(stack.cloud.billableJobs() - billed, 1, 'the metric agrees with the provider: one billed job');
    assert.ok(delta(METRICS.providerCalls, { service: 'viapi', action: 'GetAsyncJobResult' }) >= 1);
    assert.ok(delta(METRICS.providerCalls, { service: 'oss', action: 'UploadPart' }) >= 2, 'multipart upload observed');
    assert.equal(delta(METRICS.uploadedBytes), (await fs.promises.stat(sample)).size);
    assert.equal(delta(METRICS.downloadedBytes), result.sizeBytes);
    for (const stage of ['validating', 'uploading', 'submitting', 'polling', 'downloading'])
      assert.equal(delta(`${METRICS.stageDuration}_count`, { stage }), 1, `one ${stage} duration recorded`);
    // The lane: one ambiguous attempt, reconciled through the job list, the job adopted and billed once.
    assert.equal(delta(METRICS.laneAttempts, { outcome: 'ambiguous' }), 1);
    assert.equal(delta(METRICS.laneAttempts, { outcome: 'accepted' }), 0);
    assert.equal(delta(METRICS.laneReplies, { outcome: 'adopted' }), 1);
    assert.ok(delta(METRICS.providerCalls, { service: 'viapi', action: 'QueryAsyncJobList' }) >= 1);
    assert.equal(delta(`${METRICS.laneWait}_count`), 1);
    assert.ok(delta(`${METRICS.laneWait}_sum`) > 0);
    // The SDK's own metrics come out of the same endpoint.
    assert.ok(metric(end, 'temporal_workflow_completed', { workflow_type: 'superResolveVideo' }) >= 1);
  });

  it('counts a failed job by its error type', async () => {
    const before = await scrape(url);
    stack.cloud.faults.nextJobOutcomes = ['PROCESS_FAILED'];
    const handle = await stack.vsr.start({
      source: { kind: 'local', path: sample },
      destination: { kind: 'local', path: path.join(stack.dir, 'failed.mp4') },
      bitRateMbps: 4,
    });
    await handle.result().catch(() => undefined);
    const labels = { workflowType: 'superResolveVideo', errorType: 'ProviderJobFailed' };
    await until('the failure to be counted', async () =>
      metric(await scrape(url), METRICS.jobsFailed, labels) > metric(before, METRICS.jobsFailed, labels) ? true : undefined,
    );
  });

  it('logs JSON lines with workflow id, run id, stage, job id and attempt, and no secret or signature', async () => {
    const lines = output.split('\n').filter((l) => l.trim());
    const records = lines.map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        assert.fail(`not a JSON line: ${l}`);
      }
    });
    const poll = records.find((r) => r.msg === 'activity completed' && r.activityType === 'pollJob');
    assert.ok(poll, 'a completed poll is logged');
    for (const field of ['workflowId', 'runId', 'stage', 'jobId', 'attempt'])
      assert.ok(poll[field] !== undefined, `poll line has ${field}`);
    assert.equal(poll.stage, 'polling');
    const stage = records.find((r) => r.msg === 'stage' && r.stage === 'downloading');
    assert.ok(stage?.workflowId && stage.runId && stage.jobId, 'workflow stage lines carry the ids');
    // A real signed URL went through the logger (the submit's VideoUrl) and came out redacted.
    const submit = records.find((r) => r.msg === 'provider call' && r.action === 'SuperResolveVideo' && r.code === 'OK');
    assert.match(String(submit?.videoUrl), /[?&]Signature=\[REDACTED\]/);
    assert.match(String(submit?.videoUrl), /[?&]OSSAccessKeyId=\[REDACTED\]/);

    assert.ok(!output.includes(stack.cloud.accessKeySecret), 'the access key secret never appears');
    assert.doesNotMatch(output, /(Signature|OSSAccessKeyId|x-oss-signature|x-oss-credential|security-token)=(?!\[REDACTED\])/i);
    assert.doesNotMatch(output, /"taskToken":"(?!\[REDACTED\])/);
  });

  it('reports not ready, still live, when the provider cannot be reached', async () => {
    const port = await freeLoopbackPort();
    const other = `http://127.0.0.1:${await freeLoopbackPort()}`;
    const cut = workerProcess(stack, {
      VSR_METRICS_ADDRESS: other.replace('http://', ''),
      VSR_LOCAL_VIAPI_ENDPOINT: `http://127.0.0.1:${port}`,
    });
    try {
      const ready = await until('the probe to answer', async () => {
        const r = await fetch(`${other}/readyz`);
        return r.status === 503 ? ((await r.json()) as { checks: Record<string, string> }) : undefined;
      });
      assert.match(ready.checks['provider-viapi'], /ECONNREFUSED/);
      assert.equal(ready.checks.temporal, 'ok');
      assert.equal((await fetch(`${other}/healthz`)).status, 200);
    } finally {
      cut.kill('SIGKILL');
    }
  });
});
