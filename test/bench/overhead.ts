// Orchestration overhead: the same videos through a plain script calling the provider directly (DirectLoop)
// and through vsr, on the stand-in's fast engine. N = 1 (latency, median of several) and N = 50 (throughput).
// `npm run build && node dist/test/bench/overhead.js [--quick]`
import fs from 'node:fs';
import path from 'node:path';
import { makeSampleVideo } from '../../app/embedded/sample';
import { batchIdFor } from '../../client';
import type { SuperResolveResult } from '../../workflows/contract';
import { startBenchStack } from './benchStack';
import { benchMain, measured, median, round, type BenchOptions, type BenchReport } from './common';
import { DirectLoop } from './directLoop';

/** What a plain script would sleep between polls. */
const DIRECT_POLL_MS = 1000;

export function run(o: BenchOptions): Promise<BenchReport> {
  const latencySamples = o.quick ? 2 : 7;
  const n = o.quick ? 6 : 50;
  const concurrency = 8;
  const parallel = 2;
  return measured('overhead', 'Orchestration overhead', async () => {
    const stack = await startBenchStack('overhead', { engine: 'fast', submitsPerSecond: 0, parallel });
    try {
      await stack.startWorker();
      const clip = await makeSampleVideo(path.join(stack.dir, 'clip.mp4'), { width: 640, height: 360, seconds: 1, audio: true });
      const copies = async (folder: string, count: number): Promise<string[]> => {
        await fs.promises.mkdir(folder, { recursive: true });
        const files = Array.from({ length: count }, (_, i) => path.join(folder, `v${String(i).padStart(4, '0')}.mp4`));
        for (const f of files) await fs.promises.copyFile(clip, f);
        return files;
      };
      const direct = new DirectLoop(stack.cloud, DIRECT_POLL_MS);
      const outDir = path.join(stack.dir, 'out');
      await fs.promises.mkdir(outDir);

      const vsrOne = async (source: string): Promise<SuperResolveResult> => {
        const destination = path.join(outDir, `${path.basename(path.dirname(source))}-${path.basename(source)}`);
        const handle = await stack.vsr.start({
          source: { kind: 'local', path: source },
          destination: { kind: 'local', path: destination },
        });
        return stack.vsr.result(handle.workflowId);
      };
      const timed = async (fn: () => Promise<unknown>): Promise<number> => {
        const t0 = performance.now();
        await fn();
        return performance.now() - t0;
      };

      // Warm-up, not measured: connections, the worker's workflow cache, the stand-in's first encode.
      const warm = await copies(path.join(stack.dir, 'warm'), 2);
      await direct.one({ source: warm[0], destination: path.join(outDir, 'warm-direct.mp4') }, 'warm/direct');
      await vsrOne(warm[1]);

      // Latency: one video at a time, alternating, so slow moments of the shared machine hit both alike.
      const singles = await copies(path.join(stack.dir, 'single'), latencySamples * 2);
      const directMs: number[] = [];
      const vsrMs: number[] = [];
      const vsrTimings: Array<SuperResolveResult['timings']> = [];
      const pollsBefore = direct.stats.polls;
      for (let i = 0; i < latencySamples; i++) {
        directMs.push(
          await timed(() => direct.one({ source: singles[2 * i], destination: path.join(outDir, `d${i}.mp4`) }, `single/${i}`)),
        );
        vsrMs.push(
          await timed(async () => {
            vsrTimings.push((await vsrOne(singles[2 * i + 1])).timings);
          }),
        );
      }
      const directPollsPerJob = (direct.stats.polls - pollsBefore) / latencySamples;
      const singleBilling = await stack.billing();

      // Throughput: N videos, `concurrency` at once, through each.
      const directFiles = await copies(path.join(stack.dir, 'many-direct'), n);
      const directManyMs = await timed(() =>
        direct.all(
          directFiles.map((source, i) => ({ source, destination: path.join(outDir, `many-${i}.mp4`) })),
          concurrency,
        ),
      );
      const folder = path.join(stack.dir, 'many-vsr');
      await copies(folder, n);
      const manifest = { kind: 'folder' as const, path: folder };
      const output = { kind: 'local' as const, dir: `${folder}.x2` };
      let batchDone = 0;
      const vsrManyMs = await timed(async () => {
        const handle = await stack.vsr.startBatch({ batchId: batchIdFor(manifest, output), manifest, output, concurrency });
        batchDone = (await stack.vsr.batchResult(handle.workflowId)).done;
      });
      if (batchDone !== n) throw new Error(`batch finished ${batchDone} of ${n} videos`);

      const dLat = median(directMs);
      const vLat = median(vsrMs);
      const setup =
        `640x360 1 s clips with audio, stand-in engine \`fast\` (${parallel} jobs in parallel, no submit limit), one \`vsr worker\` process; ` +
        `the direct loop polls every ${DIRECT_POLL_MS} ms. N = 1: median of ${latencySamples}, alternating; ` +
        `N = ${n}: ${concurrency} at once (a \`vsr batch\` with concurrency ${concurrency} against ${concurrency} direct loops).`;
      const overheadPerJob = (vsrManyMs - directManyMs) / n;
      return {
        setup,
        rows: [
          {
            case: 'N = 1 (latency)',
            metric: 'wall time per video',
            vsr: round(vLat / 1000),
            baseline: round(dLat / 1000),
            baselineLabel: 'direct loop',
            unit: 's',
            ratio: round(vLat / dLat),
            note: `overhead ${Math.round(vLat - dLat)} ms`,
          },
          {
            case: `N = ${n} (throughput)`,
            metric: 'wall time',
            vsr: round(vsrManyMs / 1000, 1),
            baseline: round(directManyMs / 1000, 1),
            baselineLabel: 'direct loop',
            unit: 's',
            ratio: round(vsrManyMs / directManyMs),
            note: `overhead ${Math.round(overheadPerJob)} ms per video`,
          },
        ],
        targets: [
          {
            name: `vsr wall time <= 1.10x the direct loop for N = ${n}`,
            figure: `${round(vsrManyMs / directManyMs)}x`,
            holds: vsrManyMs <= 1.1 * directManyMs,
          },
          { name: 'single-video overhead < 1 s', figure: `${Math.round(vLat - dLat)} ms`, holds: vLat - dLat < 1000 },
        ],
        data: {
          latency: { directMs, vsrMs, directPollsPerJob, vsrTimings, billing: singleBilling },
          throughput: { n, concurrency, directMs: directManyMs, vsrMs: vsrManyMs },
          billing: await stack.billing(),
        },
      };
    } finally {
      await stack.close();
    }
  });
}

if (require.main === module) benchMain(run);
