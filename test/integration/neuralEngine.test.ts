// The learned engine on real files: exact 2x H.264/MP4, what it keeps, cancellation, and that it beats
// lanczos on a natural-looking sample.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { probe } from '../../activities/media';
import { makeSampleVideo } from '../../app/embedded/sample';
import { FfmpegEngine } from '../../localcloud/engine/ffmpegEngine';
import { NeuralEngine } from '../../localcloud/engine/neuralEngine';
import { probeFile } from '../../localcloud/media/probe';
import { psnrY } from '../harness/videoQuality';

const run = promisify(execFile);

/** ffmpeg processes whose parent is this test process. */
function childFfmpegs(): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' }).trim();
  return out
    .split('\n')
    .filter((l) => l.includes('ffmpeg'))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

describe('neural engine', () => {
  let dir: string;
  const engine = new NeuralEngine();

  before(async () => {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'vsr-neural-'));
  });
  after(async () => {
    await fs.promises.rm(dir, { recursive: true, force: true });
  });

  it('writes exactly 2x H.264/MP4, keeping audio, duration, frame rate and the requested bitrate', async () => {
    const input = await makeSampleVideo(path.join(dir, 'in.mp4'), { width: 640, height: 360, seconds: 3 });
    const output = path.join(dir, 'out.mp4');
    const progress: number[] = [];
    await engine.upscale(input, output, { bitRateMbps: 4, onProgress: (f) => progress.push(f) });
    const [a, b] = await Promise.all([probe(input), probe(output)]);
    assert.match(b.formatName, /mp4/);
    assert.equal(b.videoCodec, 'h264');
    assert.deepEqual([b.width, b.height], [1280, 720]);
    assert.ok(b.hasAudio, 'audio kept');
    assert.ok(Math.abs(b.durationSeconds - a.durationSeconds) < 0.1, `duration ${b.durationSeconds} vs ${a.durationSeconds}`);
    const [fa, fb] = await Promise.all([probeFile(input), probeFile(output)]);
    assert.equal(fb.frameRate, fa.frameRate);
    const ratio = b.bitRate / 4_000_000;
    assert.ok(ratio > 0.9 && ratio < 1.1, `bitrate ${b.bitRate} not within 10% of 4 Mbps`);
    // The same bitrate as the lanczos engine gives, not just near the request: quality is compared at equal bits.
    const classical = path.join(dir, 'out-lanczos.mp4');
    await new FfmpegEngine('quality').upscale(input, classical, { bitRateMbps: 4 });
    const l = await probe(classical);
    assert.ok(Math.abs(b.bitRate / l.bitRate - 1) < 0.03, `bitrate ${b.bitRate} not within 3% of the lanczos engine's ${l.bitRate}`);
    assert.ok(progress.length > 3 && progress.every((p, i) => i === 0 || p >= progress[i - 1]), 'progress advances');
    assert.equal(progress.at(-1), 1);
  });

  it('handles odd sizes (chroma rounded up) and still doubles them exactly', async () => {
    const input = path.join(dir, 'odd.mkv');
    await run('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x180:rate=10:duration=1',
      '-vf',
      'scale=321:181',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv444p',
      input,
    ]);
    const output = path.join(dir, 'odd-out.mp4');
    await engine.upscale(input, output, { bitRateMbps: 2 });
    const facts = await probeFile(output);
    assert.deepEqual([facts.width, facts.height], [642, 362]);
  });

  it('stops at once when cancelled, leaving no ffmpeg behind', { timeout: 60_000 }, async () => {
    const input = await makeSampleVideo(path.join(dir, 'long.mp4'), { width: 640, height: 360, seconds: 20 });
    const controller = new AbortController();
    // Cancel as soon as frames flow: decoder, model and encoder are all running then.
    const job = engine.upscale(input, path.join(dir, 'cancelled.mp4'), {
      bitRateMbps: 4,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    await assert.rejects(job, (err: Error) => err.name === 'AbortError');
    assert.deepEqual(childFfmpegs(), [], 'no ffmpeg child left running');
  });

  it('beats lanczos on a natural-looking sample at the same bitrate', async () => {
    // Ground truth: a short pan over a natural photo (CC0, see test/fixtures/README.md), 640x360;
    // the input is its 2x downscale, mildly compressed.
    const truth = path.join(dir, 'truth.mkv');
    const photo = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'seeding-640x360.jpg');
    await run('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-loop',
      '1',
      '-framerate',
      '10',
      '-i',
      photo,
      '-vf',
      "scale=672:378,crop=640:360:x='3*n':y=9,format=yuv420p",
      '-frames:v',
      '10',
      '-c:v',
      'ffv1',
      truth,
    ]);
    const input = path.join(dir, 'small.mp4');
    await run('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-i',
      truth,
      '-vf',
      'scale=320:180',
      '-c:v',
      'libx264',
      '-crf',
      '18',
      '-pix_fmt',
      'yuv420p',
      input,
    ]);
    const neural = path.join(dir, 'neural.mp4');
    const lanczos = path.join(dir, 'lanczos.mp4');
    await engine.upscale(input, neural, { bitRateMbps: 6 });
    await new FfmpegEngine('quality').upscale(input, lanczos, { bitRateMbps: 6 });
    const [pn, pl] = await Promise.all([psnrY(neural, truth), psnrY(lanczos, truth)]);
    assert.ok(pn > pl + 0.2, `neural PSNR-Y ${pn.toFixed(2)} dB is not clearly above lanczos ${pl.toFixed(2)} dB`);
  });
});
