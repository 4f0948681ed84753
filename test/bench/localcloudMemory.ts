// Benchmark: the stand-in's peak memory while 1 GB goes up (multipart and single PUT) and comes back down.
// `npm run build && node dist/test/bench/localcloudMemory.js [megabytes=1024]`
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createObjectStorage } from '../../activities/provider/oss';
import { runScript } from '../harness/stack';

function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function sha(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of fs.createReadStream(file)) h.update(c as Buffer);
  return h.digest('hex');
}

async function main(): Promise<void> {
  const mb = Number(process.argv[2] ?? 1024);
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'vsr-mem-'));
  const vsr = path.join(__dirname, '..', '..', '..', 'bin', 'vsr.js');
  const child = spawn(process.execPath, [vsr, 'localcloud', '--data', path.join(dir, 'cloud')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise<string>((resolve) => readline.createInterface({ input: child.stdout }).once('line', resolve));
    const cloud = JSON.parse(line) as { ossEndpoint: string; accessKeyId: string; accessKeySecret: string; bucket: string };
    const oss = createObjectStorage({ endpoint: cloud.ossEndpoint, credential: cloud, pathStyle: true });
    const file = path.join(dir, 'big.bin');
    // Random-looking content, written in 8 MiB blocks so this process stays small too.
    const block = Buffer.alloc(8 * 1024 * 1024);
    const fd = await fs.promises.open(file, 'w');
    for (let i = 0; i < mb / 8; i++) {
      block.writeUInt32LE(i, 0);
      for (let j = 4; j < block.length; j += 4096) block.writeUInt32LE((i * 2654435761 + j) >>> 0, j);
      await fd.write(block);
    }
    await fd.close();
    const baseline = peakRssMb(child.pid as number);
    const t0 = Date.now();
    const partSize = 8 * 1024 * 1024;
    const size = (await fs.promises.stat(file)).size;
    const uploadId = await oss.initMultipart(cloud.bucket, 'big-multipart.bin');
    const parts = [];
    for (let n = 1, start = 0; start < size; n++, start += partSize)
      parts.push({
        number: n,
        etag: await oss.uploadPart(cloud.bucket, 'big-multipart.bin', uploadId, n, file, start, Math.min(size, start + partSize)),
      });
    await oss.completeMultipart(cloud.bucket, 'big-multipart.bin', uploadId, parts);
    const t1 = Date.now();
    await oss.put(cloud.bucket, 'big-single.bin', file);
    const t2 = Date.now();
    const back = path.join(dir, 'back.bin');
    const res = await fetch(oss.signGetUrl(cloud.bucket, 'big-multipart.bin', 600));
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), fs.createWriteStream(back));
    const t3 = Date.now();
    const same = (await sha(file)) === (await sha(back));
    console.log(
      `object ${mb} MiB: multipart upload ${((t1 - t0) / 1000).toFixed(1)} s, single PUT ${((t2 - t1) / 1000).toFixed(1)} s, signed-URL download ${((t3 - t2) / 1000).toFixed(1)} s, round trip identical: ${same}`,
    );
    console.log(`stand-in peak RSS: ${peakRssMb(child.pid as number).toFixed(0)} MiB (after start-up: ${baseline.toFixed(0)} MiB)`);
  } finally {
    child.kill('SIGTERM');
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

runScript(main);
