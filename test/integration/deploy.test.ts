// Safe deploys on a real Temporal server: Worker Deployment versions keep a run on the code it started with
// while new runs take the new code, the submit lane follows the current version, and SIGTERM drains a `vsr worker` process within its bound.
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, afterEach, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { VsrClient } from '../../client';
import { findTemporalCli } from '../../app/embedded/tools';
import { makeSampleVideo } from '../../app/embedded/sample';
import { bundleWorkflows } from '../../workers/bundle';
import { createWorkers, type VsrWorkers } from '../../workers/worker';
import type { SuperResolveInput, SuperResolveResult } from '../../workflows/contract';
import { LANE_WORKFLOW_TYPE } from '../../workflows/submitLaneContract';
import { startTestStack, until, workerProcess, type TestStack } from '../harness/stack';
import { workflowBundle } from '../harness/temporal';

const run = promisify(execFile);

describe('safe deploys', () => {
  let stack: TestStack;
  let sample: string;
  let n = 0;

  before(async () => {
    stack = await startTestStack('deploy');
    // About 3 MB in, 6 MB out: a throttled download takes seconds.
    sample = await makeSampleVideo(path.join(stack.dir, 'sample.mp4'), { width: 640, height: 360, seconds: 6, bitRateMbps: 4 });
  });
  after(async () => {
    await stack.close();
  });

  function input(): SuperResolveInput {
    n += 1;
    return {
      source: { kind: 'local', path: sample },
      destination: { kind: 'local', path: path.join(stack.dir, `out-${n}.mp4`) },
      bitRateMbps: 8,
    };
  }

  describe('worker versioning', () => {
    const deployment = `vsr-test-${process.pid}`;
    const taskQueue = 'vsr-test-deploy-versioned'; // its own queue: the process tests below use the stack's
    const running: Array<{ workers: VsrWorkers; done: Promise<void> }> = [];
    after(async () => {
      for (const r of running) r.workers.shutdown();
      await Promise.all(running.map((r) => r.done));
      // The account's one lane lives on this queue now; the tests below use another queue, whose first request
      // starts the lane afresh there.
      for await (const lane of stack.env.client.workflow.list({
        query: `WorkflowType = '${LANE_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`,
      }))
        await stack.env.client.workflow.getHandle(lane.workflowId).terminate('test: the versioned queue is gone');
    });

    async function deploy(buildId: string, workflowsPath?: string): Promise<void> {
      const workers = await createWorkers({
        config: { ...stack.config, taskQueue, deployment: { name: deployment, buildId, defaultBehavior: 'PINNED' } },
        connection: stack.env.nativeConnection,
        client: stack.env.client,
        workflowBundle: workflowsPath ? await bundleWorkflows(workflowsPath) : await workflowBundle(),
      });
      running.push({ workers, done: workers.run() });
      // What an operator runs once the new version's workers poll (the pinned CLI; the version must have pollers).
      const cli = findTemporalCli() as string;
      const args = ['worker', 'deployment', 'set-current-version', '--deployment-name', deployment, '--build-id', buildId, '--yes'];
      await until(`version ${buildId} to become current`, async () => {
        await run(cli, [...args, '--address', stack.env.address, '--namespace', stack.config.temporal.namespace]);
        return true;
      });
    }

    async function versionOf(handle: WorkflowHandle): Promise<{ buildId?: string; behavior?: unknown }> {
      const info = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
      return { buildId: info?.deploymentVersion?.buildId ?? undefined, behavior: info?.behavior };
    }

    it('keeps a run on version A after B becomes current, while new runs take B', async () => {
      const vsr = new VsrClient(stack.env.client, taskQueue);
      await deploy('A');
      stack.cloud.faults.jobDelayMs = 10 * 60_000; // jobs wait (on the stand-in's clock) until released below
      let old: WorkflowHandle;
      let fresh: WorkflowHandle;
      try {
        old = await vsr.start(input());
        await until('the first run to poll', async () => ((await vsr.progress(old.workflowId)).stage === 'polling' ? true : undefined));
        await deploy('B', path.join(__dirname, '..', 'harness', 'versionB.js'));
        fresh = await vsr.start(input());
        await until('the second run to poll', async () => ((await vsr.progress(fresh.workflowId)).stage === 'polling' ? true : undefined));
      } finally {
        stack.cloud.faults.jobDelayMs = 0;
      }
      stack.cloud.clock.advance(10 * 60_000);
      const [a, b] = (await Promise.all([old.result(), fresh.result()])) as Array<SuperResolveResult & { codeVersion?: string }>;

      assert.equal(a.codeVersion, undefined, "the old run finished on A's code");
      assert.equal(b.codeVersion, 'B', "the new run ran B's code");
      assert.deepEqual(await versionOf(old), { buildId: 'A', behavior: 1 }); // 1: VERSIONING_BEHAVIOR_PINNED
      assert.deepEqual(await versionOf(fresh), { buildId: 'B', behavior: 1 });
      // B's extra timer would have broken A's history: no workflow task ever failed.
      const events = (await old.fetchHistory()).events ?? [];
      assert.ok(!events.some((e) => e.workflowTaskFailedEventAttributes), 'no failed workflow task in the old run');
      assert.ok(a.width === 1280 && b.width === 1280);

      // The submit lane, started on A, moved to B (auto-upgrade): with A's workers gone, videos still get submitted.
      const [versionA] = running;
      versionA.workers.shutdown();
      await versionA.done;
      const third = await vsr.start(input());
      await until('the third video to be submitted through the lane', async () =>
        ['polling', 'downloading', 'cleaning-up', 'done'].includes((await vsr.progress(third.workflowId)).stage) ? true : undefined,
      );
      assert.equal(((await third.result()) as { codeVersion?: string }).codeVersion, 'B');
      const lanes = stack.env.client.workflow.list({ query: `WorkflowType = '${LANE_WORKFLOW_TYPE}' AND TaskQueue = '${taskQueue}'` });
      for await (const lane of lanes)
        if (lane.status.name === 'RUNNING')
          assert.deepEqual(await versionOf(stack.env.client.workflow.getHandle(lane.workflowId)), { buildId: 'B', behavior: 2 }); // 2: AUTO_UPGRADE
    });
  });

  describe('graceful shutdown of a vsr worker process', () => {
    const children: ChildProcess[] = [];
    afterEach(() => {
      for (const c of children.splice(0)) c.kill('SIGKILL');
    });
    function startWorker(env: NodeJS.ProcessEnv = {}, onOutput?: (text: string) => void): ChildProcess {
      const c = workerProcess(stack, env, onOutput);
      children.push(c);
      return c;
    }

    /** Starts a worker process and a job, throttles the download, and sends SIGTERM once bytes are arriving. */
    async function sigtermMidDownload(graceSeconds: number, bytesPerSecond: number) {
      const billed = stack.cloud.billableJobs();
      let output = '';
      const worker = startWorker({ VSR_SHUTDOWN_GRACE: `${graceSeconds}s` }, (t) => (output += t));
      const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
      const handle = await stack.vsr.start(input());
      try {
        await until('the job to be submitted', async () => (stack.cloud.billableJobs() > billed ? true : undefined), 60_000, 20);
        stack.cloud.faults.ossBytesPerSecond = bytesPerSecond;
        await until('the download to move bytes', async () => {
          const p = await stack.vsr.progress(handle.workflowId);
          return p.stage === 'downloading' && p.bytesDone > 0 ? true : undefined;
        });
        const signalled = Date.now();
        worker.kill('SIGTERM');
        // Started once the worker is draining: it must not pick it up.
        await until('the worker to drain', async () => (output.includes('shutdown requested') ? true : undefined));
        const later = await stack.vsr.start(input());
        const code = await exited;
        return { handle, later, code, exitMs: Date.now() - signalled, identity: `${worker.pid}@`, billed };
      } finally {
        stack.cloud.faults.ossBytesPerSecond = 0;
      }
    }

    /** Identities of the workers that touched a workflow (workflow and activity tasks). */
    async function identities(handle: WorkflowHandle): Promise<string[]> {
      const events = (await handle.fetchHistory()).events ?? [];
      return events
        .flatMap((e) => [
          e.workflowTaskStartedEventAttributes?.identity,
          e.workflowTaskCompletedEventAttributes?.identity,
          e.activityTaskStartedEventAttributes?.identity,
          e.activityTaskCompletedEventAttributes?.identity,
        ])
        .filter((i): i is string => Boolean(i));
    }

    it('lets a running download finish within the grace time, then exits 0 without taking new work', async () => {
      const ranged = stack.cloud.ossStats.rangeGets;
      const r = await sigtermMidDownload(60, 2_000_000);
      assert.equal(r.code, 0);
      assert.ok(r.exitMs < 60_000, `exited in ${r.exitMs} ms`);
      const events = (await r.handle.fetchHistory()).events ?? [];
      const downloaded = events.find((e) => e.activityTaskCompletedEventAttributes?.identity?.startsWith(r.identity));
      assert.ok(downloaded, 'the draining worker completed the download it was running');
      startWorker();
      await Promise.all([r.handle.result(), r.later.result()]);
      assert.equal(stack.cloud.ossStats.rangeGets, ranged, 'nothing had to be resumed');
      assert.ok(!(await identities(r.later)).some((i) => i.startsWith(r.identity)), 'the draining worker took no new work');
      assert.equal(stack.cloud.billableJobs() - r.billed, 2);
    });

    it('cancels a download that outlasts the grace time; it heartbeats out and resumes on the next worker', async () => {
      const ranged = stack.cloud.ossStats.rangeGets;
      const r = await sigtermMidDownload(1, 300_000);
      assert.equal(r.code, 0);
      // The bound: grace (1 s) + the force time for activities that ignore cancellation (10 s) + margin.
      assert.ok(r.exitMs < 16_000, `exited in ${r.exitMs} ms`);
      console.log(`# SIGTERM to exit with a download in flight and a 1 s grace: ${r.exitMs} ms`);
      startWorker();
      const result = (await r.handle.result()) as SuperResolveResult;
      await r.later.result();
      assert.ok(stack.cloud.ossStats.rangeGets > ranged, 'the next worker resumed the download with a Range request');
      assert.equal(result.height, 720);
      assert.equal(stack.cloud.billableJobs() - r.billed, 2);
    });
  });
});
