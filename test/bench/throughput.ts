// Throughput and scale-out: a batch of 200 videos with one `vsr worker` process, then with two, against the
// provider's submit ceiling (submits per second x 60). The stand-in runs its zero-work engine with plenty of
// parallel jobs, so the provider's rate limit, not its encoder, is the bottleneck. Also: history events, provider
// calls and throttling answers per video, and each worker's peak RSS.
// `npm run build && node dist/test/bench/throughput.js [--quick]`
import fs from 'node:fs';
import path from 'node:path';
import { makeSampleVideo } from '../../app/embedded/sample';
import { batchIdFor, batchWorkflowId } from '../../client';
import { startBenchStack, type Billing } from './benchStack';
import { benchMain, measured, round, type BenchOptions, type BenchReport, type Row } from './common';

const SUBMITS_PER_SECOND = 2;
const CONCURRENCY = 20;

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
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
        const folder = path.join(stack.dir, `videos-${workers}`);
        await fs.promises.mkdir(folder);
        for (let i = 0; i < videos; i++) await fs.promises.copyFile(clip, path.join(folder, `v${String(i).padStart(4, '0')}.mp4`));
        const manifest = { kind: 'folder' as const, path: folder };
        const output = { kind: 'local' as const, dir: `${folder}.x2` };
        const batchId = batchIdFor(manifest, output);
        const before = await stack.billing();
        const t0 = performance.now();
        const handle = await stack.vsr.startBatch({ batchId, manifest, output, concurrency: CONCURRENCY });
        const summary = await stack.vsr.batchResult(handle.workflowId);
        const seconds = (performance.now() - t0) / 1000;
        const after: Billing = await stack.billing();
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
        results.push({ workers, seconds, perMinute: (videos / seconds) * 60, events, runs, calls, errors, throttled, rss });
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
            metric: 'per video: history events / submits / polls / list calls',
            vsr: `${round(r.events / videos, 1)} / ${per('SuperResolveVideo')} / ${per('GetAsyncJobResult')} / ${per('QueryAsyncJobList')}`,
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
          `Time from starting the batch to its summary.`,
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
