// Benchmark: jobs per minute for a batch on the local stack with the stand-in's fast engine.
// `npm run build && node dist/test/bench/batchThroughput.js [videos=200] [concurrency=20]`
import fs from 'node:fs';
import path from 'node:path';
import { batchIdFor } from '../../client';
import { makeSampleVideo } from '../../app/embedded/sample';
import { runScript, withWorkingStack } from '../harness/stack';

async function main(): Promise<void> {
  const videos = Number(process.argv[2] ?? 200);
  const concurrency = Number(process.argv[3] ?? 20);
  await withWorkingStack('bench', { engine: 'fast', submitsPerSecond: 2, maxParallelJobs: 2 }, async (stack) => {
    const folder = path.join(stack.dir, 'videos');
    await fs.promises.mkdir(folder);
    const clip = await makeSampleVideo(path.join(stack.dir, 'clip.mp4'), { width: 640, height: 360, seconds: 1, audio: true });
    for (let i = 0; i < videos; i++) await fs.promises.copyFile(clip, path.join(folder, `v${String(i).padStart(4, '0')}.mp4`));
    const manifest = { kind: 'folder' as const, path: folder };
    const output = { kind: 'local' as const, dir: `${folder}.x2` };
    const started = Date.now();
    const handle = await stack.vsr.startBatch({ batchId: batchIdFor(manifest, output), manifest, output, concurrency });
    const summary = await stack.vsr.batchResult(handle.workflowId);
    const minutes = (Date.now() - started) / 60_000;
    console.log(
      `batch of ${videos} videos (640x360, 1 s, fast engine, concurrency ${concurrency}, provider submit limit 2/s, 2 parallel jobs in the stand-in)`,
    );
    console.log(`done ${summary.done}, failed ${summary.failed}, skipped ${summary.skipped}, billable jobs ${stack.cloud.billableJobs()}`);
    console.log(`elapsed ${(minutes * 60).toFixed(1)} s -> ${(summary.done / minutes).toFixed(1)} jobs/minute`);
  });
}

runScript(main);
