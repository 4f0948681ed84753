// Streaming: a 1 GB video up to the stand-in and its 1 GB result back down, through vsr's own upload and download
// activities in a `vsr worker` process (the stand-in's zero-work engine returns a result of the same size), next
// to a plain file copy of the same file on the same disk; peak RSS of the worker and of the stand-in.
// `npm run build && node dist/test/bench/streaming.js [--quick]`
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { promisify } from 'node:util';
import { createObjectStorage } from '../../activities/provider/oss';
import { makeSampleVideo } from '../../app/embedded/sample';
import type { SuperResolveResult } from '../../workflows/contract';
import { startBenchStack } from './benchStack';
import { benchMain, measured, median, peakRssMiB, round, type BenchOptions, type BenchReport } from './common';

const run$ = promisify(execFile);
/** The provider's highest bitrate: the fewest frames (least encoding) for a given size. */
const MBPS = 100;
const MB = 1e6;

export function run(o: BenchOptions): Promise<BenchReport> {
  const seconds = o.quick ? 4 : 82; // 82 s at 100 Mbps: about 1 GB each way
  return measured('streaming', 'Streaming', async () => {
    const stack = await startBenchStack('streaming', { engine: 'zero', submitsPerSecond: 0, parallel: 1 });
    try {
      const worker = await stack.startWorker();
      const startRss = worker.peakRssMiB();
      const source = await makeSampleVideo(path.join(stack.dir, 'big.mp4'), {
        width: 640,
        height: 360,
        seconds,
        audio: false,
        bitRateMbps: MBPS,
      });
      const size = (await fs.promises.stat(source)).size;

      const sync = () => run$('sync');
      const timed = async (fn: () => Promise<unknown>): Promise<number> => {
        await sync(); // each measurement starts with no one else's dirty pages to write back
        const t0 = performance.now();
        await fn();
        return performance.now() - t0;
      };
      const mbps = (bytes: number, ms: number) => bytes / MB / (ms / 1000);

      // Baselines: the same file copied on the same disk (median of 3), and copied then flushed to the disk.
      const copy = path.join(stack.dir, 'copy.mp4');
      const copies: number[] = [];
      for (let i = 0; i < 3; i++) copies.push(await timed(() => run$('cp', [source, copy])));
      const copyMBps = mbps(size, median(copies));
      const flushedMBps = mbps(size, await timed(() => run$('sh', ['-c', `cp "${source}" "${copy}.2" && sync`])));
      await fs.promises.rm(copy);
      await fs.promises.rm(`${copy}.2`);

      const destination = path.join(stack.dir, 'big.x2.mp4');
      let result: SuperResolveResult | undefined;
      await timed(async () => {
        const handle = await stack.vsr.start({
          source: { kind: 'local', path: source },
          destination: { kind: 'local', path: destination },
          bitRateMbps: MBPS,
        });
        result = await stack.vsr.result(handle.workflowId);
      });
      const r = result as SuperResolveResult;
      const upMBps = mbps(size, r.timings.uploading ?? NaN);
      const downMBps = mbps(r.sizeBytes, r.timings.downloading ?? NaN);
      const workerRss = worker.peakRssMiB();
      const cloudRss = peakRssMiB(stack.cloudProcess.pid as number);

      // The stand-in's own ceiling: one plain PUT and one plain GET of the same bytes, no vsr.
      const credential = { accessKeyId: stack.cloud.accessKeyId, accessKeySecret: stack.cloud.accessKeySecret };
      const oss = createObjectStorage({ endpoint: stack.cloud.ossEndpoint, credential, pathStyle: true });
      const rawUpMBps = mbps(size, await timed(() => oss.put(stack.cloud.bucket, 'raw.mp4', source)));
      const rawDownMBps = mbps(
        size,
        await timed(async () => {
          const res = await fetch(oss.signGetUrl(stack.cloud.bucket, 'raw.mp4', 600));
          await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), fs.createWriteStream(copy));
        }),
      );
      const baseline = `${round(copyMBps, 0)} (to disk ${round(flushedMBps, 0)})`;
      return {
        setup:
          `A ${round(size / MB)} MB MP4 (${MBPS} Mbps) through a real workflow: stand-in engine \`zero\`, result ${round(r.sizeBytes / MB)} MB; ` +
          `vsr's MB/s are the workflow's stage times (activity scheduling, and for the download probe and sha256, included). ` +
          `Baseline: \`cp\` of the source on the same disk (median of 3; "to disk": \`cp\` + \`sync\`); every measurement starts after a \`sync\`. ` +
          `"stand-in alone": one plain PUT / GET of the same bytes with no vsr, the stand-in's own ceiling.`,
        rows: [
          {
            case: 'upload',
            metric: 'MB/s',
            vsr: round(upMBps, 0),
            baseline,
            baselineLabel: 'plain copy',
            ratio: round(upMBps / copyMBps),
            note: `stand-in alone ${round(rawUpMBps, 0)} MB/s`,
          },
          {
            case: 'download',
            metric: 'MB/s',
            vsr: round(downMBps, 0),
            baseline,
            baselineLabel: 'plain copy',
            ratio: round(downMBps / copyMBps),
            note: `stand-in alone ${round(rawDownMBps, 0)} MB/s`,
          },
          {
            case: 'worker',
            metric: 'peak RSS',
            vsr: round(workerRss, 0),
            baseline: round(startRss, 0),
            baselineLabel: 'idle worker after start',
            unit: 'MiB',
            note: `+${round(workerRss - startRss, 0)} MiB while transferring`,
          },
          { case: 'stand-in', metric: 'peak RSS', vsr: round(cloudRss, 0), baseline: '-', baselineLabel: '', unit: 'MiB' },
        ],
        targets: [
          {
            name: 'upload >= 80% of plain-copy MB/s',
            figure: `${Math.round((100 * upMBps) / copyMBps)}%`,
            holds: upMBps >= 0.8 * copyMBps,
          },
          {
            name: 'download >= 80% of plain-copy MB/s',
            figure: `${Math.round((100 * downMBps) / copyMBps)}%`,
            holds: downMBps >= 0.8 * copyMBps,
          },
          { name: 'worker peak RSS < 200 MB', figure: `${round(workerRss * 1.048576, 0)} MB`, holds: workerRss * 1.048576 < 200 },
        ],
        data: {
          sizeBytes: size,
          resultBytes: r.sizeBytes,
          copyMs: copies,
          flushedMBps,
          rawUpMBps,
          rawDownMBps,
          timings: r.timings,
          workerRss,
          startRss,
          cloudRss,
        },
      };
    } finally {
      await stack.close();
    }
  });
}

if (require.main === module) benchMain(run);
