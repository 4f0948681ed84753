// Throughput and scale-out: a batch of 200 videos with one `vsr worker` process, then with two, against the
// provider's submit ceiling (submits per second x 60). The stand-in runs its zero-work engine with plenty of
// parallel jobs, so the provider's rate limit, not its encoder, is the bottleneck. Also: history events, provider
// calls and throttling answers per video, and each worker's peak RSS.
// `npm run build && node dist/test/bench/throughput.js [--quick]`
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeSampleVideo } from '../../app/embedded/sample';
import { batchIdFor, batchWorkflowId } from '../../client';
import { laneStatusQuery } from '../../workflows/signals';
import { LANE_WORKFLOW_TYPE } from '../../workflows/submitLaneContract';
import { startBenchStack, type BenchStack, type Billing } from './benchStack';
import { benchMain, measured, median, round, type BenchOptions, type BenchReport, type Row } from './common';

const SUBMITS_PER_SECOND = 2;
const CONCURRENCY = 20;
/** Videos in the untimed batch each case starts with, so the new workers have taken over the submit lane. */
const WARM_UP = 2;

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
}

/** History events of every submit lane run so far (the lane outlives a batch, so the bench takes differences). */
async function laneEvents(stack: BenchStack): Promise<number> {
  let events = 0;
  for await (const wf of stack.env.client.workflow.list({ query: `WorkflowType = "${LANE_WORKFLOW_TYPE}"` }))
    events += (await stack.env.client.workflow.getHandle(wf.workflowId, wf.runId).describe()).historyLength;
  return events;
}

/**
 * Samples the lane's queue once a second until `done`: whether requests waited for the lane (the lane sets the
 * pace) or the lane waited for requests (the pipelines feeding it do).
 */
function sampleLane(stack: BenchStack, done: Promise<unknown>): Promise<{ samples: number; waiting: number; meanQueued: number }> {
  let finished = false;
  void done.finally(() => (finished = true));
  return (async () => {
    const queued: number[] = [];
    while (!finished) {
      await new Promise((r) => setTimeout(r, 1000));
      try {
        for await (const wf of stack.env.client.workflow.list({
          query: `WorkflowType = "${LANE_WORKFLOW_TYPE}" AND ExecutionStatus = "Running"`,
        }))
          queued.push((await stack.env.client.workflow.getHandle(wf.workflowId).query(laneStatusQuery)).queued);
      } catch {
        // the lane between runs (continue-as-new): no sample this time
      }
    }
    const waiting = queued.filter((q) => q > 0).length;
    return { samples: queued.length, waiting, meanQueued: queued.reduce((a, b) => a + b, 0) / Math.max(1, queued.length) };
  })();
}

/** How evenly the provider saw the batch's submits: the gaps between them and the rate in the steady middle. */
function submitPace(
  createdAt: number[],
  batch: { startedAt: number; endedAt: number },
): { medianGapMs: number; p90GapMs: number; steadyPerSecond: number; leadS: number; tailS: number; slowGapsS: number } {
  const t = [...createdAt].sort((a, b) => a - b);
  const gaps = t.slice(1).map((x, i) => x - t[i]);
  const sorted = [...gaps].sort((a, b) => a - b);
  // The middle 80% of the submits: the first ones wait on uploads and the pipelines' start, not on the lane.
  const lo = Math.floor(t.length * 0.1);
  const hi = Math.max(lo + 1, Math.ceil(t.length * 0.9) - 1);
  return {
    medianGapMs: median(gaps),
    p90GapMs: sorted[Math.floor(sorted.length * 0.9)] ?? 0,
    steadyPerSecond: (hi - lo) / ((t[hi] - t[lo]) / 1000),
    // Where the time beyond submits x limit goes: before the first submit, after the last, and gaps well over the pace.
    leadS: ((t[0] ?? batch.startedAt) - batch.startedAt) / 1000,
    tailS: (batch.endedAt - (t.at(-1) ?? batch.endedAt)) / 1000,
    slowGapsS: gaps.filter((g) => g > 600).reduce((s, g) => s + g - 500, 0) / 1000,
  };
}

/** A folder of `count` copies of `clip`, as a batch's manifest and output. */
async function folderBatch(dir: string, name: string, clip: string, count: number) {
  const folder = path.join(dir, name);
  await fs.promises.mkdir(folder);
  for (let i = 0; i < count; i++) await fs.promises.copyFile(clip, path.join(folder, `v${String(i).padStart(4, '0')}.mp4`));
  const manifest = { kind: 'folder' as const, path: folder };
  const output = { kind: 'local' as const, dir: `${folder}.x2` };
  return { manifest, output, batchId: batchIdFor(manifest, output) };
}

export function run(o: BenchOptions): Promise<BenchReport> {
  const videos = o.quick ? 10 : 200;
  const ceiling = SUBMITS_PER_SECOND * 60;
  return measured('throughput', 'Throughput and scale-out', async () => {
    const stack = await startBenchStack('throughput', { engine: 'zero', submitsPerSecond: SUBMITS_PER_SECOND, parallel: 16 });
    try {
      const clip = await makeSampleVideo(path.join(stack.dir, 'clip.mp4'), { width: 640, height: 360, seconds: 1, audio: true });
      const results = [];
      for (const workers of [1, 2]) {
        const procs = [];
        for (let i = 0; i < workers; i++) procs.push(await stack.startWorker());
        // The lane's new worker replays its history first (seconds after a long batch): a failover cost, which the
        // reliability suite measures, not throughput.
        const warm = await folderBatch(stack.dir, `warm-${workers}`, clip, WARM_UP);
        await stack.vsr.batchResult((await stack.vsr.startBatch({ ...warm, concurrency: CONCURRENCY })).workflowId);
        const { manifest, output, batchId } = await folderBatch(stack.dir, `videos-${workers}`, clip, videos);
        const before = await stack.billing();
        const laneBefore = await laneEvents(stack);
        const since = Date.now();
        const cpuBefore = stack.cpu();
        const t0 = performance.now();
        const handle = await stack.vsr.startBatch({ batchId, manifest, output, concurrency: CONCURRENCY });
        const result = stack.vsr.batchResult(handle.workflowId);
        const queue = sampleLane(stack, result);
        const summary = await result;
        const cpuAfter = stack.cpu();
        const cpuSeconds =
          (Object.keys(cpuAfter) as Array<keyof typeof cpuAfter>).reduce((sum, k) => sum + cpuAfter[k] - cpuBefore[k], 0) / 1000;
        const seconds = (performance.now() - t0) / 1000;
        const endedAt = Date.now();
        const after: Billing = await stack.billing();
        const lane = (await laneEvents(stack)) - laneBefore;
        const pace = submitPace(
          (await stack.providerJobs()).filter((j) => j.createdAt >= since).map((j) => j.createdAt),
          { startedAt: since, endedAt },
        );
        if (summary.done !== videos) throw new Error(`batch with ${workers} worker(s): ${summary.done} of ${videos} done`);
        const rss = procs.map((p) => round(p.peakRssMiB(), 0));
        for (const p of procs) await p.stop();

        let events = 0;
        let runs = 0;
        for await (const wf of stack.env.client.workflow.list({
          query: `VsrBatchId = "${batchId}" OR WorkflowId = "${batchWorkflowId(batchId)}"`,
        })) {
          events += wf.historyLength;
          runs += 1;
        }
        const calls = delta(after.viapi.calls, before.viapi.calls);
        const errors = delta(after.viapi.errors, before.viapi.errors);
        const throttled = Object.entries(errors)
          .filter(([k]) => k.includes('Throttling'))
          .reduce((n, [, v]) => n + v, 0);
        results.push({
          workers,
          seconds,
          perMinute: (videos / seconds) * 60,
          events,
          lane,
          runs,
          calls,
          errors,
          throttled,
          rss,
          pace,
          queue: await queue,
          cpuSeconds,
        });
      }

      const rows: Row[] = [];
      for (const r of results) {
        const per = (name: string) => round((r.calls[name] ?? 0) / videos, 2);
        const label = `${r.workers} worker${r.workers > 1 ? 's' : ''}`;
        rows.push(
          {
            case: label,
            metric: 'videos / minute',
            vsr: round(r.perMinute, 1),
            baseline: ceiling,
            baselineLabel: 'provider ceiling',
            ratio: round(r.perMinute / ceiling),
          },
          {
            case: label,
            metric: 'submits / s in the steady middle (median, p90 gap between submits)',
            vsr: `${round(r.pace.steadyPerSecond)} (${round(r.pace.medianGapMs, 0)} ms, ${round(r.pace.p90GapMs, 0)} ms)`,
            baseline: `${SUBMITS_PER_SECOND} (${round(1000 / SUBMITS_PER_SECOND, 0)} ms)`,
            baselineLabel: 'provider limit',
          },
          {
            case: label,
            metric: 'seconds before the first submit; after the last; in gaps over 600 ms, beyond the 500 ms pace',
            vsr: `${round(r.pace.leadS, 1)}; ${round(r.pace.tailS, 1)}; ${round(r.pace.slowGapsS, 1)}`,
            baseline: '0; one job (1 s) and its download; 0',
            baselineLabel: 'least possible',
          },
          {
            case: label,
            metric: 'lane queue, sampled each second: samples with requests waiting; mean requests waiting',
            vsr: `${round((100 * r.queue.waiting) / Math.max(1, r.queue.samples), 0)}% of ${r.queue.samples}; ${round(r.queue.meanQueued, 1)}`,
            baseline: '100%',
            baselineLabel: 'a lane that sets the pace',
          },
          {
            case: label,
            metric: 'CPU seconds per video (worker, Temporal server, stand-in) x ceiling rate = cores needed',
            vsr: `${round(r.cpuSeconds / videos)} s x ${SUBMITS_PER_SECOND}/s = ${round((r.cpuSeconds / videos) * SUBMITS_PER_SECOND, 1)} cores`,
            baseline: `${os.cpus().length} cores, load ${round(os.loadavg()[0], 1)}`,
            baselineLabel: 'this machine',
          },
          {
            case: label,
            metric: 'per video: history events (pipeline + lane) / submits / polls / list calls',
            vsr: `${round(r.events / videos, 1)} + ${round(r.lane / videos, 1)} / ${per('SuperResolveVideo')} / ${per('GetAsyncJobResult')} / ${per('QueryAsyncJobList')}`,
            baseline: '- / 1 / 1 / 0',
            baselineLabel: 'least possible',
          },
          {
            case: label,
            metric: 'throttling answers; peak worker RSS',
            vsr: `${r.throttled}; ${r.rss.map((m) => `${m} MiB`).join(', ')}`,
            baseline: '0',
            baselineLabel: 'throttling answers',
          },
        );
      }
      const [one, two] = results;
      return {
        setup:
          `${videos} videos (640x360, 1 s) in one \`vsr batch\` (concurrency ${CONCURRENCY}), stand-in engine \`zero\` (16 jobs in parallel) ` +
          `limiting submits to ${SUBMITS_PER_SECOND}/s per account as the provider does; vsr configured with VSR_SUBMITS_PER_SECOND=${SUBMITS_PER_SECOND}. ` +
          `Time from starting the batch to its summary, on workers that have just run a ${WARM_UP}-video batch (untimed), so they have ` +
          `taken over the account's submit lane: a worker taking over a lane first replays its history, a failover cost ` +
          `(here 1.3 s for a 270-event history, 2.2 s for 1,270) that the reliability suite measures.`,
        rows,
        targets: [
          ...results.map((r) => ({
            name: `${r.workers} worker(s): >= 95% of the provider ceiling with no Throttling.User`,
            figure: `${round((100 * r.perMinute) / ceiling, 1)}%, ${r.throttled} throttled`,
            holds: r.perMinute >= 0.95 * ceiling && r.throttled === 0,
          })),
          {
            name: '2 workers not slower than 1 (within 2%: run-to-run noise)',
            figure: `${round(two.perMinute, 1)} vs ${round(one.perMinute, 1)} videos/min`,
            holds: two.perMinute >= 0.98 * one.perMinute,
          },
        ],
        data: { videos, ceiling, results },
      };
    } finally {
      await stack.close();
    }
  });
}

if (require.main === module) benchMain(run);
