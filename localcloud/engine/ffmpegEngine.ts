// The classical engine: ffmpeg's lanczos scaler and libx264. `fast` trades quality for speed (load tests).
import { spawn } from 'node:child_process';
import { probeFile } from '../media/probe';
import type { Engine, UpscaleOptions } from './engine';
import { h264OutputArgs, progressReader } from './encoding';

export class FfmpegEngine implements Engine {
  readonly name: string;
  constructor(
    private readonly mode: 'quality' | 'fast' = 'quality',
    /** bicubic: the weaker classical baseline, for the engine benchmark. */
    private readonly scaler: 'lanczos' | 'bicubic' = 'lanczos',
  ) {
    this.name = `ffmpeg-${scaler}-${mode}`;
  }

  async upscale(input: string, output: string, options: UpscaleOptions): Promise<void> {
    const facts = await probeFile(input);
    const args = [
      '-hide_banner',
      '-nostdin',
      '-y',
      '-v',
      'error',
      '-progress',
      'pipe:1',
      '-i',
      input,
      '-map',
      '0:v:0',
      '-map',
      '0:a?',
      '-vf',
      `scale=iw*2:ih*2:flags=${this.scaler}`,
      ...h264OutputArgs(options.bitRateMbps, this.mode === 'fast' ? 'ultrafast' : 'medium', 2 * facts.width, 2 * facts.height),
      output,
    ];
    await new Promise<void>((resolve, reject) => {
      const child = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000);
      });
      child.stdout.on('data', progressReader(facts.durationSeconds, options.onProgress));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${stderr.trim()}`))));
    });
  }
}
