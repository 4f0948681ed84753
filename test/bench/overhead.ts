// Orchestration overhead: the same videos through a plain script calling the provider directly (DirectLoop)
// and through vsr. N = 1 (latency, median of several, alternating) and N = 50 (throughput), in two settings:
// - the stand-in's fast engine, as specified: its encoder shares this machine's CPU with vsr;
// - a remote provider: the zero-work engine and 1 s per job on the stand-in's clock, so a job takes time
//   but no local CPU, as with the real provider; what is left is what vsr's orchestration itself costs.
// `npm run build && node dist/test/bench/overhead.js [--quick]`
import fs from 'node:fs';
import path from 'node:path';
import { makeSampleVideo } from '../../app/embedded/sample';
import { batchIdFor } from '../../client';
import type { SuperResolveResult } from '../../workflows/contract';
import { startBenchStack, type CloudOptions } from './benchStack';
import { benchMain, measured, median, round, sleep, type BenchOptions, type BenchReport, type Row, type Target } from './common';
import { DirectLoop } from './directLoop';

/** What a plain script would sleep between polls. */
const DIRECT_POLL_MS = 1000;
const CONCURRENCY = 8;
const PARALLEL = 2;

interface Scenario {
  label: string;
  cloud: CloudOptions;
  faults?: Record<string, number>;
}

const SCENARIOS: Scenario[] = [
  { label: 'fast engine', cloud: { engine: 'fast', submitsPerSecond: 0, parallel: PARALLEL } },
  { label: 'remote provider (1 s jobs)', cloud: { engine: 'zero', submitsPerSecond: 0, parallel: PARALLEL }, faults: { jobDelayMs: 1000 } },
];

async function measure(s: Scenario, latencySamples: number, n: number) {
  const stack = await startBenchStack('overhead', s.cloud);
  try {
    if (s.faults) await stack.admin('faults', s.faults);
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
      const handle = await stack.vsr.start({ source: { kind: 'local', path: source }, destination: { kind: 'local', path: destination } });
      return stack.vsr.result(handle.workflowId);
    };
    const windows: Record<string, [number, number]> = {};
    const cpu: Record<string, Record<string, number>> = {};
    const cpuNow = () => ({ ...stack.cpu(), bench: (process.cpuUsage().user + process.cpuUsage().system) / 1000 });
    const timed = async (fn: () => Promise<unknown>, window?: string): Promise<number> => {
      const [w0, t0, c0] = [Date.now(), performance.now(), cpuNow()];
      await fn();
      if (window) {
        windows[window] = [w0, Date.now()];
        const c1 = cpuNow();
        cpu[window] = Object.fromEntries(Object.entries(c1).map(([k, v]) => [k, Math.round((v - c0[k as keyof typeof c0]) / n)]));
      }
      return performance.now() - t0;
    };

    // Warm-up, not measured: connections, the worker's workflow cache and job-time estimate, the stand-in's first encode.
    const warm = await copies(path.join(stack.dir, 'warm'), 3);
    await direct.one({ source: warm[0], destination: path.join(outDir, 'warm-direct.mp4') }, 'warm/direct');
    await vsrOne(warm[1]);
    await vsrOne(warm[2]);

    // Latency: one video at a time, alternating, so slow moments of the shared machine hit both alike.
    const singles = await copies(path.join(stack.dir, 'single'), latencySamples * 2);
    const directMs: number[] = [];
    const vsrMs: number[] = [];
    const vsrTimings: Array<SuperResolveResult['timings']> = [];
    for (let i = 0; i < latencySamples; i++) {
      directMs.push(await timed(() => direct.one({ source: singles[2 * i], destination: path.join(outDir, `d${i}.mp4`) }, `single/${i}`)));
      vsrMs.push(
        await timed(async () => {
          vsrTimings.push((await vsrOne(singles[2 * i + 1])).timings);
        }),
      );
    }

    // Throughput: N videos, CONCURRENCY at once, through each.
    const directFiles = await copies(path.join(stack.dir, 'many-direct'), n);
    const directManyMs = await timed(
      () =>
        direct.all(
          directFiles.map((source, i) => ({ source, destination: path.join(outDir, `many-${i}.mp4`) })),
          CONCURRENCY,
        ),
      'direct',
    );
    const folder = path.join(stack.dir, 'many-vsr');
    await copies(folder, n);
    const manifest = { kind: 'folder' as const, path: folder };
    const output = { kind: 'local' as const, dir: `${folder}.x2` };
    let batchDone = 0;
    const vsrManyMs = await timed(async () => {
      const handle = await stack.vsr.startBatch({ batchId: batchIdFor(manifest, output), manifest, output, concurrency: CONCURRENCY });
      batchDone = (await stack.vsr.batchResult(handle.workflowId)).done;
    }, 'vsr');
    if (batchDone !== n) throw new Error(`batch finished ${batchDone} of ${n} videos`);

    // How busy the provider was in each run: a slower job means CPU was taken from it, idle slots that it starved.
    await sleep(500); // the stand-in writes its job log a moment after the last change
    const jobs = await stack.providerJobs();
    const provider = (window: string) => {
      const [from, to] = windows[window];
      const mine = jobs.filter((j) => j.createdAt >= from && j.createdAt <= to && j.startedAt && j.endedAt);
      const busy = mine.reduce((sum, j) => sum + ((j.endedAt as number) - (j.startedAt as number)), 0);
      const waited = mine.reduce((sum, j) => sum + ((j.startedAt as number) - j.createdAt), 0);
      return {
        meanRunMs: Math.round(busy / mine.length),
        meanQueuedMs: Math.round(waited / mine.length),
        slotsBusy: round(busy / (PARALLEL * (to - from))),
        cpuMsPerVideo: cpu[window],
      };
    };
    return {
      latency: { directMs, vsrMs, vsrTimings },
      throughput: { directMs: directManyMs, vsrMs: vsrManyMs, provider: { direct: provider('direct'), vsr: provider('vsr') } },
      billing: await stack.billing(),
    };
  } finally {
    await stack.close();
  }
}

export function run(o: BenchOptions): Promise<BenchReport> {
  const latencySamples = o.quick ? 2 : 7;
  const n = o.quick ? 6 : 50;
  return measured('overhead', 'Orchestration overhead', async () => {
    const rows: Row[] = [];
    const targets: Target[] = [];
    const data: Record<string, unknown> = {};
    for (const s of SCENARIOS) {
      const m = await measure(s, latencySamples, n);
      data[s.label] = m;
      const dLat = median(m.latency.directMs);
      const vLat = median(m.latency.vsrMs);
      const { directMs, vsrMs, provider } = m.throughput;
      const vsrCpu = Object.entries(provider.vsr.cpuMsPerVideo)
        .filter(([k]) => k === 'temporal' || k.startsWith('worker'))
        .reduce((sum, [, v]) => sum + v, 0);
      rows.push(
        {
          case: `${s.label}, N = 1 (latency)`,
          metric: 'wall time per video',
          vsr: round(vLat / 1000),
          baseline: round(dLat / 1000),
          baselineLabel: 'direct loop',
          unit: 's',
          ratio: round(vLat / dLat),
          note: `overhead ${Math.round(vLat - dLat)} ms`,
        },
        {
          case: `${s.label}, N = ${n} (throughput)`,
          metric: 'wall time',
          vsr: round(vsrMs / 1000, 1),
          baseline: round(directMs / 1000, 1),
          baselineLabel: 'direct loop',
          unit: 's',
          ratio: round(vsrMs / directMs),
          note:
            `overhead ${Math.round((vsrMs - directMs) / n)} ms per video; vsr's CPU ${vsrCpu} ms per video (Temporal server + worker + ffprobe), ` +
            `provider job ${provider.vsr.meanRunMs} ms under vsr vs ${provider.direct.meanRunMs} ms under the loop`,
        },
      );
      targets.push(
        {
          name: `${s.label}: vsr <= 1.10x the direct loop for N = ${n}`,
          figure: `${round(vsrMs / directMs)}x`,
          holds: vsrMs <= 1.1 * directMs,
        },
        { name: `${s.label}: single-video overhead < 1 s`, figure: `${Math.round(vLat - dLat)} ms`, holds: vLat - dLat < 1000 },
      );
    }
    return {
      setup:
        `640x360 1 s clips with audio; the stand-in runs ${PARALLEL} jobs in parallel with no submit limit; one \`vsr worker\` process. ` +
        `The direct loop uses vsr's own provider clients and polls every ${DIRECT_POLL_MS} ms. ` +
        `N = 1: median of ${latencySamples}, alternating with the loop, after warm-up; N = ${n}: ${CONCURRENCY} at once ` +
        `(a \`vsr batch\` with concurrency ${CONCURRENCY} against ${CONCURRENCY} direct loops). "fast engine": the stand-in encodes with ` +
        `ffmpeg on this machine's cores, which vsr's processes share; "remote provider": the zero-work engine with 1 s per job on the ` +
        `stand-in's clock, so the provider's work takes time but none of this machine's CPU, as with Alibaba.`,
      rows,
      targets,
      data,
    };
  });
}

if (require.main === module) benchMain(run);
