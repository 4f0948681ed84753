// Benchmark for sizing workers: the same OSS-to-OSS batch on 1 worker process (the baseline) and on 3, each
// on a fresh local stack; prints elapsed time, each worker's CPU per video and peak memory.
// `npm run build && node dist/test/bench/workersPerCore.js [videos=40] [workers=1,3]`
import os from 'node:os';
import { runMultiWorkerBatch } from '../harness/multiWorker';
import { runScript, startTestStack } from '../harness/stack';

async function main(): Promise<void> {
  const videos = Number(process.argv[2] ?? 40);
  const counts = (process.argv[3] ?? '1,3').split(',').map(Number);
  console.log(`${videos} videos (480x360, 1 s) OSS -> OSS, stand-in fast engine, 2 parallel jobs, ${os.cpus().length} CPUs`);
  for (const workers of counts) {
    const stack = await startTestStack(`bench-workers-${workers}`, { submitsPerSecond: 10, maxParallelJobs: 2 });
    try {
      const r = await runMultiWorkerBatch(stack, { videos, workers, submitsPerSecond: 10 });
      const cpu = r.cpuSecondsPerWorker.reduce((a, b) => a + b, 0);
      console.log(
        `${workers} worker(s): ${(r.elapsedMs / 1000).toFixed(1)} s (${((60_000 * r.done) / r.elapsedMs).toFixed(1)} videos/min), ` +
          `done ${r.done}, billed ${r.billed}; worker CPU ${cpu.toFixed(1)} s = ${((1000 * cpu) / videos).toFixed(0)} ms a video; ` +
          `peak RSS MiB ${r.peakRssMiBPerWorker.join('/')}; throttled submits ${r.throttledSubmits}`,
      );
    } finally {
      await stack.close();
    }
  }
}

runScript(main);
