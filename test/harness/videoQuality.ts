// Video quality figures with ffmpeg's own filters: PSNR-Y, SSIM-Y and frame-to-frame luma change.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function lavfi(graph: string, inputs: string[]): Promise<string> {
  const args = ['-hide_banner', '-nostdin', ...inputs.flatMap((i) => ['-i', i]), '-lavfi', graph, '-f', 'null', '-'];
  const { stderr } = await run('ffmpeg', args, { maxBuffer: 64 * 1024 * 1024 });
  return stderr;
}

/** Mean PSNR of the luma plane of `video` against `reference` (same size), over all frames. */
export async function psnrY(video: string, reference: string): Promise<number> {
  const out = await lavfi('[0:v]format=yuv420p[a];[1:v]format=yuv420p[b];[a][b]psnr', [video, reference]);
  const m = /PSNR y:([\d.]+|inf)/.exec(out);
  if (!m) throw new Error(`no PSNR in ffmpeg output: ${out.slice(-500)}`);
  return m[1] === 'inf' ? Infinity : Number(m[1]);
}

/** Mean SSIM of the luma plane (ffmpeg's ssim filter). */
export async function ssimY(video: string, reference: string): Promise<number> {
  const out = await lavfi('[0:v]format=yuv420p[a];[1:v]format=yuv420p[b];[a][b]ssim', [video, reference]);
  const m = /SSIM Y:([\d.]+)/.exec(out);
  if (!m) throw new Error(`no SSIM in ffmpeg output: ${out.slice(-500)}`);
  return Number(m[1]);
}

/** Mean absolute luma difference between consecutive frames (0..255): flicker adds to it. */
export async function temporalDiffY(video: string): Promise<number> {
  // Each frame against the one before it (tblend difference), averaged by signalstats.
  const out = await lavfi('[0:v]format=gray,tblend=all_mode=difference,signalstats,metadata=print:key=lavfi.signalstats.YAVG', [video]);
  const values = [...out.matchAll(/lavfi\.signalstats\.YAVG=([\d.]+)/g)].map((m) => Number(m[1]));
  if (values.length === 0) throw new Error('no frames measured');
  // tblend's first output is frame 2 - frame 1; all frames count equally.
  return values.reduce((a, b) => a + b, 0) / values.length;
}
