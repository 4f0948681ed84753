// Benchmark (not pass/fail): the engines through the stand-in with the real clients, on held-out natural
// clips, at the same output bitrate, at several compression levels of the input. One table: params,
// end-to-end fps (decode + model + encode) and CPU time per frame for 640x360 -> 1280x720, PSNR-Y / SSIM-Y against ground
// truth, temporal stability; then peak memory of a 1920x1080 -> 3840x2160 job.
// `npm run bench:engine [-- --clips N --seconds S --crf 15,0,20 --no-4k --model candidate.onnx]` (--model: a retrained
// model to weigh before committing it; its .json card beside it)
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { cacheDir } from '../../app/embedded/tools';
import type { Engine, UpscaleOptions } from '../../localcloud/engine/engine';
import { createEngine } from '../../localcloud/engine/engines';
import { FfmpegEngine } from '../../localcloud/engine/ffmpegEngine';
import { defaultModelPath, NeuralEngine } from '../../localcloud/engine/neuralEngine';
import { startLocalCloud } from '../../localcloud/server';
import { ossFor, viapiFor } from '../harness/localcloudClients';
import { psnrY, ssimY, temporalDiffY } from '../harness/videoQuality';

const run = promisify(execFile);
/** Photos from a Debian package the model never trained on (training/data.py HELDOUT_PACKAGE). */
const HELDOUT_PACKAGE = 'lomiri-wallpapers-16.04';
const BITRATE_MBPS = 10;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

/** Input compression levels (x264 CRF of the 640x360 clips): mild first, the level the README quotes. */
const LEVELS: Record<number, string> = { 0: 'clean (lossless)', 8: 'near-lossless', 15: 'mild', 20: 'moderate', 23: "x264's default" };

async function heldoutPhotos(): Promise<string[]> {
  const root = path.join(cacheDir(), 'bench-engine', HELDOUT_PACKAGE);
  if (!fs.existsSync(path.join(root, '.unpacked'))) {
    await fs.promises.mkdir(root, { recursive: true });
    await run('apt-get', ['download', HELDOUT_PACKAGE], { cwd: root });
    const deb = (await fs.promises.readdir(root)).find((f) => f.endsWith('.deb')) as string;
    await run('dpkg', ['-x', path.join(root, deb), root]);
    await fs.promises.writeFile(path.join(root, '.unpacked'), '');
  }
  const dir = path.join(root, 'usr', 'share', 'backgrounds');
  return (await fs.promises.readdir(dir))
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** A slow zoom (continuous scale, so motion is sub-pixel) with a pan across a photo, as ffmpeg filters. */
async function zoomPan(photo: string, dir: string, seconds: number, width: number, height: number): Promise<string> {
  const still = path.join(dir, `${path.basename(photo, '.jpg')}-${width}.png`);
  // Cover 1.2x the frame first (area), so each frame's resize is cheap and stays a downscale.
  await run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-i',
    photo,
    '-vf',
    `scale=w=${width * 1.2}:h=${height * 1.2}:force_original_aspect_ratio=increase:flags=area`,
    still,
  ]);
  const zoom = `scale=w='2*trunc((${width * 1.08}+${width * 0.1}*t/${seconds})/2)':h=-2:eval=frame:flags=bicubic`;
  const pan = `crop=${width}:${height}:x='(iw-${width})*t/${seconds}':y='(ih-${height})/2'`;
  return `-loop 1 -framerate 25 -i ${still} -vf ${zoom},${pan},format=yuv420p -t ${seconds}`;
}

/**
 * A held-out clip: ground truth lossless at 1280x720; the input is its bicubic 2x downscale, mildly
 * compressed (libx264 at `crf`), with a tone as audio.
 */
async function makeClip(photo: string, dir: string, seconds: number, crf: number): Promise<{ truth: string; input: string }> {
  const name = path.basename(photo, '.jpg');
  const truth = path.join(dir, `${name}-${seconds}s-truth.mkv`);
  const input = path.join(dir, `${name}-${seconds}s-crf${crf}-input.mp4`);
  if (fs.existsSync(input)) return { truth, input };
  if (!fs.existsSync(truth)) {
    const source = (await zoomPan(photo, dir, seconds, 1280, 720)).split(' ');
    await run('ffmpeg', ['-v', 'error', '-y', ...source, '-c:v', 'ffv1', truth]);
  }
  await run('ffmpeg', [
    ...['-v', 'error', '-y', '-i', truth, '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`],
    ...[
      '-vf',
      'scale=640:360',
      '-c:v',
      'libx264',
      '-preset',
      'medium',
      '-crf',
      String(crf),
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-shortest',
      input,
    ],
  ]);
  return { truth, input };
}

/**
 * CPU seconds used so far by this process (its worker threads included) and by its children that have
 * exited (the engines' ffmpeg processes): /proc/self/stat utime, stime, cutime, cstime.
 */
function cpuSeconds(): number {
  const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  // Fields 14-17 of proc(5), counted from 1; the split drops the first two.
  return fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0) / 100;
}

/**
 * Wraps an engine to time its upscale() calls (the stand-in's own polling adds nothing then), in wall
 * time and in CPU time: CPU time per frame hardly depends on what else the machine runs.
 */
class Timed implements Engine {
  seconds = 0;
  cpu = 0;
  constructor(readonly inner: Engine) {}
  get name(): string {
    return this.inner.name;
  }
  async upscale(input: string, output: string, o: UpscaleOptions): Promise<void> {
    const t = performance.now();
    const c = cpuSeconds();
    await this.inner.upscale(input, output, o);
    this.seconds += (performance.now() - t) / 1000;
    this.cpu += cpuSeconds() - c;
  }
}

async function throughStandIn(engine: Engine, clips: Array<{ input: string }>, dir: string): Promise<string[]> {
  const cloud = await startLocalCloud({ dataDir: path.join(dir, `cloud-${engine.name}`), engine, submitsPerSecond: 0, maxParallelJobs: 1 });
  try {
    const oss = ossFor(cloud);
    const viapi = viapiFor(cloud);
    const outputs = [];
    for (const [i, clip] of clips.entries()) {
      const key = `bench/${i}.mp4`;
      await oss.put(cloud.bucket, key, clip.input);
      const { jobId } = await viapi.submit(oss.signGetUrl(cloud.bucket, key, 3600), BITRATE_MBPS);
      let r = await viapi.getResult(jobId);
      while (r.status === 'QUEUING' || r.status === 'PROCESSING') {
        await new Promise((res) => setTimeout(res, 100));
        r = await viapi.getResult(jobId);
      }
      if (r.status !== 'PROCESS_SUCCESS' || !r.resultUrl)
        throw new Error(`${engine.name}: job ${jobId} ${r.status} ${r.errorMessage ?? ''}`);
      const out = path.join(dir, `${engine.name}-${i}.mp4`);
      const res = await fetch(r.resultUrl);
      await fs.promises.writeFile(out, Buffer.from(await res.arrayBuffer()));
      outputs.push(out);
    }
    return outputs;
  } finally {
    await cloud.close();
  }
}

async function frameCount(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-count_frames',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=nb_read_frames',
    '-of',
    'csv=p=0',
    file,
  ]);
  return Number(stdout.trim());
}

async function bitRate(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=bit_rate',
    '-of',
    'csv=p=0',
    file,
  ]);
  return Number(stdout.trim()) / 1e6;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Peak RSS (MiB) of a process tree running one 1920x1080 -> 3840x2160 neural job, sampled from /proc. */
async function peakMemory4k(dir: string, photo: string, modelPath: string): Promise<{ node: number; whole: number; seconds: number }> {
  const input = path.join(dir, 'largest-1920x1080.mp4');
  const source = (await zoomPan(photo, dir, 2, 1920, 1080)).split(' ');
  await run('ffmpeg', ['-v', 'error', '-y', ...source, '-c:v', 'libx264', '-crf', '20', '-pix_fmt', 'yuv420p', input]);
  const script = `const { NeuralEngine } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'localcloud', 'engine', 'neuralEngine.js'))});
    new NeuralEngine({ modelPath: ${JSON.stringify(modelPath)} }).upscale(${JSON.stringify(input)}, ${JSON.stringify(path.join(dir, 'out-4k.mp4'))}, { bitRateMbps: ${BITRATE_MBPS} }).catch((e) => { console.error(e); process.exit(1); });`;
  const t = performance.now();
  const child = spawn(process.execPath, ['-e', script], { stdio: 'inherit' });
  let nodePeak = 0;
  let wholePeak = 0;
  const sample = () => {
    const tree = [child.pid as number];
    let sum = 0;
    for (const pid of tree) {
      try {
        const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
        const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
        if (pid === child.pid) nodePeak = Math.max(nodePeak, kb('VmHWM'));
        sum += kb('VmRSS');
        const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
        if (kids) tree.push(...kids.split(/\s+/).map(Number));
      } catch {
        // exited between listing and reading
      }
    }
    wholePeak = Math.max(wholePeak, sum);
  };
  const timer = setInterval(sample, 50);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`4K job exited ${code}`);
  return { node: nodePeak, whole: wholePeak, seconds: (performance.now() - t) / 1000 };
}

async function main(): Promise<void> {
  const nClips = Number(arg('clips', '15'));
  const seconds = Number(arg('seconds', '2'));
  /** How much the 640x360 inputs are compressed (x264 CRFs, one table section each). */
  const crfs = arg('crf', '15,0,20').split(',').map(Number);
  const clipDir = path.join(cacheDir(), 'bench-engine', 'clips');
  await fs.promises.mkdir(clipDir, { recursive: true });
  const photos = (await heldoutPhotos()).slice(0, nClips);
  const work = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'vsr-bench-engine-'));
  const modelPath = path.resolve(arg('model', defaultModelPath()));
  const meta = JSON.parse(await fs.promises.readFile(modelPath.replace(/\.onnx$/, '.json'), 'utf8')) as { params: number };
  const load = () => os.loadavg()[0].toFixed(1);
  const startLoad = load();
  const rows = [];
  let frames = 0;
  let truthMotion = 0;
  try {
    for (const [level, crf] of crfs.entries()) {
      console.error(
        `[bench] ${photos.length} held-out clips of ${seconds}s from ${HELDOUT_PACKAGE} (GT 1280x720, input 640x360 CRF ${crf})`,
      );
      const clips: Array<{ truth: string; input: string }> = [];
      for (const p of photos) clips.push(await makeClip(p, clipDir, seconds, crf));
      frames = (await Promise.all(clips.map((c) => frameCount(c.input)))).reduce((a, b) => a + b, 0);
      truthMotion = mean(await Promise.all(clips.map((c) => temporalDiffY(c.truth))));
      const engines = [
        ['bicubic', () => new FfmpegEngine('quality', 'bicubic'), '-'],
        ['lanczos', () => createEngine('lanczos'), '-'],
        ['neural', () => new NeuralEngine({ modelPath }), String(meta.params)],
      ] as const;
      const levelDir = path.join(work, `crf${crf}`);
      await fs.promises.mkdir(levelDir, { recursive: true });
      const section = [];
      // A different engine goes first at each level: load that changes during the run favours none.
      for (let k = 0; k < engines.length; k++) {
        const [label, make, params] = engines[(k + level) % engines.length];
        const timed = new Timed(make());
        console.error(`[bench] CRF ${crf}: ${label} ...`);
        const outputs = await throughStandIn(timed, clips, levelDir);
        const psnr = await Promise.all(outputs.map((o, i) => psnrY(o, clips[i].truth)));
        const ssim = await Promise.all(outputs.map((o, i) => ssimY(o, clips[i].truth)));
        const motion = await Promise.all(outputs.map((o) => temporalDiffY(o)));
        const rates = await Promise.all(outputs.map((o) => bitRate(o)));
        section.push({
          crf,
          label,
          params,
          fps: frames / timed.seconds,
          cpuMs: (timed.cpu / frames) * 1000,
          psnr: mean(psnr),
          ssim: mean(ssim),
          motion: mean(motion),
          rate: mean(rates),
        });
      }
      const order = engines.map(([label]) => label as string);
      rows.push(...section.sort((a, b) => order.indexOf(a.label) - order.indexOf(b.label)));
    }
    console.log(
      `\nEngines through the stand-in, ${photos.length} held-out clips (${frames} frames, 640x360 -> 1280x720 at ${BITRATE_MBPS} Mbps), ${os.cpus().length} cores, load average ${startLoad} at the start, ${load()} at the end`,
    );
    console.log(
      `| input (x264 CRF) | engine | params | fps (decode+scale+encode) | CPU ms/frame | PSNR-Y dB | vs lanczos | SSIM-Y | frame-to-frame luma diff (GT ${truthMotion.toFixed(3)}) | output Mbps |`,
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      const lanczos = rows.find((l) => l.crf === r.crf && l.label === 'lanczos')?.psnr ?? 0;
      const gain = r.psnr - lanczos;
      console.log(
        `| ${r.crf} ${LEVELS[r.crf] ?? ''} | ${r.label} | ${r.params} | ${r.fps.toFixed(1)} | ${r.cpuMs.toFixed(0)} | ${r.psnr.toFixed(2)} | ${(gain >= 0 ? '+' : '') + gain.toFixed(2)} | ${r.ssim.toFixed(4)} | ${r.motion.toFixed(3)} | ${r.rate.toFixed(2)} |`,
      );
    }
    if (!process.argv.includes('--no-4k')) {
      const m = await peakMemory4k(clipDir, photos[0], modelPath);
      console.log(
        `\n1920x1080 -> 3840x2160 neural job, 2 s: ${m.seconds.toFixed(1)} s; peak RSS of node ${m.node.toFixed(0)} MiB; of the whole job (node + both ffmpeg, at the same moment) ${m.whole.toFixed(0)} MiB`,
      );
    }
  } finally {
    await fs.promises.rm(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
