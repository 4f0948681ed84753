// A zero-work engine for load tests: a job's cost no longer grows with its frames, so a benchmark measures
// the caller (and the provider's rate limit), not the stand-in's encoder. Each result is still a valid
// H.264 MP4 at twice the input's width and height, of the input's duration and at the requested bitrate,
// with an audio track when the input has one: a blank picture encoded once per shape and copied for
// every later job of that shape.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { probeFile } from '../media/probe';
import type { Engine, UpscaleOptions } from './engine';
import { h264OutputArgs } from './encoding';

const run = promisify(execFile);

export class ZeroWorkEngine implements Engine {
  readonly name = 'zero-work';
  /** Encoded outputs by shape; a failed encode is forgotten so the next job tries again. */
  private readonly outputs = new Map<string, Promise<string>>();

  /** `cacheDir`: where the encoded outputs live (the stand-in's work folder, emptied on start). */
  constructor(private readonly cacheDir: string) {}

  async upscale(input: string, output: string, options: UpscaleOptions): Promise<void> {
    const facts = await probeFile(input);
    const shape = { width: facts.width * 2, height: facts.height * 2, seconds: facts.durationSeconds, audio: facts.hasAudio };
    const key = `${shape.width}x${shape.height}-${shape.seconds.toFixed(3)}s-${options.bitRateMbps}M-${shape.audio ? 'a' : 'n'}`;
    let made = this.outputs.get(key);
    if (!made) {
      made = this.encode(key, shape, options.bitRateMbps);
      this.outputs.set(key, made);
      made.catch(() => this.outputs.delete(key));
    }
    options.signal?.throwIfAborted();
    await fs.promises.copyFile(await made, output, fs.constants.COPYFILE_FICLONE);
    options.onProgress?.(1);
  }

  private async encode(
    key: string,
    s: { width: number; height: number; seconds: number; audio: boolean },
    bitRateMbps: number,
  ): Promise<string> {
    await fs.promises.mkdir(this.cacheDir, { recursive: true });
    const file = path.join(this.cacheDir, `${key}.mp4`);
    const duration = Math.max(0.04, s.seconds).toFixed(3);
    const args = [
      '-hide_banner',
      '-nostdin',
      '-y',
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      `color=c=gray:s=${s.width}x${s.height}:r=25:d=${duration}`,
    ];
    if (s.audio) args.push('-f', 'lavfi', '-i', `anullsrc=r=44100:cl=stereo`, '-shortest');
    // The real engines' encoding (CBR with filler): a result's size follows the bitrate, so transfers stay realistic.
    args.push('-t', duration, ...h264OutputArgs(bitRateMbps, 'ultrafast', s.width, s.height), `${file}.part`);
    await run('ffmpeg', args, { timeout: 10 * 60_000 });
    await fs.promises.rename(`${file}.part`, file);
    return file;
  }
}
