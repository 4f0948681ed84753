// The bad-input corpus's media, made with ffmpeg on demand (nothing binary is checked in): every container the
// provider lists and some it does not, each resolution boundary, rotation, variable frame rate, 10-bit and 4:4:4,
// several video streams, truncated, corrupt, empty and over-1-GiB (sparse) files.
// Run alone: `node dist/test/corpus/generate.js DIR` makes the files and prints them.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const GIB = 1024 * 1024 * 1024;

/** A short test picture; the test source makes even sizes only, so odd ones are scaled to. */
function video(w: number, h: number): string[] {
  const odd = w % 2 === 1 || h % 2 === 1;
  return ['-f', 'lavfi', '-i', `testsrc2=s=${w + (w % 2)}x${h + (h % 2)}:r=10:d=0.3`, ...(odd ? ['-vf', `scale=${w}:${h}`] : [])];
}
const X264 = ['-c:v', 'libx264', '-preset', 'ultrafast'];
/** Odd sides: H.264 in 4:4:4 (4:2:0 needs even ones). */
const ODD = [...X264, '-pix_fmt', 'yuv444p'];
const TONE = ['-f', 'lavfi', '-i', 'sine=f=440:d=0.3'];

/** File name -> ffmpeg arguments (before the output name), or a function that makes the file. */
export const MEDIA: Record<string, string[] | ((file: string, dir: string) => Promise<void>)> = {
  'ok-640x360.mp4': [...video(640, 360), ...X264],
  'ok-portrait-360x640.mp4': [...video(360, 640), ...X264],
  'ok-360x360.mp4': [...video(360, 360), ...X264],
  'ok-1920x1080.mp4': [...video(1920, 1080), ...X264],
  'ok-1080x1920.mp4': [...video(1080, 1920), ...X264],
  'ok-1080x1080.mp4': [...video(1080, 1080), ...X264],
  'ok-1920x360.mp4': [...video(1920, 360), ...X264],
  'ok-odd-641x361.mp4': [...video(641, 361), ...ODD],
  'bad-640x359.mp4': [...video(640, 359), ...ODD],
  'bad-359x640.mp4': [...video(359, 640), ...ODD],
  'bad-1921x1080.mp4': [...video(1921, 1080), ...ODD],
  'bad-1080x1921.mp4': [...video(1080, 1921), ...ODD],
  'bad-1082x1082.mp4': [...video(1082, 1082), ...X264],
  'bad-2048x1080.mp4': [...video(2048, 1080), ...X264],
  // A phone's portrait video: stored 1920x1080, displayed turned a quarter.
  'rotated-1920x1080-as-portrait.mp4': async (file, dir) => {
    const plain = path.join(dir, '.plain-1920x1080.mp4');
    await ffmpeg([...video(1920, 1080), ...X264], plain);
    await ffmpeg(['-i', plain, '-c', 'copy', '-metadata:s:v:0', 'rotate=90'], file);
    await fs.promises.rm(plain);
  },
  // Frames at irregular times (every other one dropped, timestamps kept).
  'vfr.mkv': [...video(640, 360), '-vf', "select='not(mod(n\\,3))'", '-fps_mode', 'vfr', ...X264],
  'ten-bit.mp4': [...video(640, 360), ...X264, '-pix_fmt', 'yuv420p10le'],
  'chroma-444.mp4': [...video(640, 360), ...X264, '-pix_fmt', 'yuv444p'],
  'two-video-streams.mkv': [...video(640, 360), ...video(640, 360), '-map', '0:v', '-map', '1:v', ...X264],
  'audio-only.mp4': [...TONE, '-c:a', 'aac'],
  'audio-only.m4a': [...TONE, '-c:a', 'aac', '-f', 'ipod'],
  'still.png': ['-f', 'lavfi', '-i', 'testsrc2=s=640x360', '-frames:v', '1'],
  'still-jpeg-named.mp4': ['-f', 'lavfi', '-i', 'testsrc2=s=640x360', '-frames:v', '1', '-f', 'mjpeg'],
  'clip.webm': [...video(640, 360), '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-b:v', '200k'],
  'webm-named.mp4': [...video(640, 360), '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-b:v', '200k', '-f', 'webm'],
  'mkv-named.mp4': [...video(640, 360), ...X264, '-f', 'matroska'],
  'anim.gif': [...video(640, 360)],
  'clip.3gp': [...video(640, 360), ...X264, '-f', '3gp'],
  'clip.mov': [...video(640, 360), ...X264, '-f', 'mov'],
  'clip.avi': [...video(640, 360), '-c:v', 'mpeg4'],
  'clip.flv': [...video(640, 360), '-c:v', 'flv1'],
  'clip.ts': [...video(640, 360), ...X264, '-f', 'mpegts'],
  'clip.mpg': [...video(640, 360), '-c:v', 'mpeg2video', '-f', 'vob'],
  'clip.mxf': [
    '-f',
    'lavfi',
    '-i',
    'testsrc2=s=720x576:r=25:d=0.3',
    '-c:v',
    'mpeg2video',
    '-pix_fmt',
    'yuv422p',
    '-b:v',
    '5M',
    '-f',
    'mxf',
  ],
  // The index (moov) at the end, then cut: the header is fine, the index is gone.
  'truncated.mp4': async (file, dir) => {
    const whole = path.join(dir, '.whole.mp4');
    await ffmpeg([...video(640, 360), ...X264], whole);
    const bytes = await fs.promises.readFile(whole);
    await fs.promises.writeFile(file, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await fs.promises.rm(whole);
  },
  'corrupt.mp4': (file) => fs.promises.writeFile(file, randomBytes(64 * 1024)),
  'empty.mp4': (file) => fs.promises.writeFile(file, ''),
  // A real video (index first) padded with zeros to exactly the limit, and to one byte more: sparse, so instant.
  'exactly-1GiB.mp4': (file) => padded(file, GIB),
  'over-1GiB.mp4': (file) => padded(file, GIB + 1),
};

async function padded(file: string, size: number): Promise<void> {
  await ffmpeg([...video(640, 360), ...X264, '-movflags', '+faststart'], file);
  await fs.promises.truncate(file, size);
}

async function ffmpeg(args: string[], out: string): Promise<void> {
  await run('ffmpeg', ['-v', 'error', '-y', ...args, out], { timeout: 120_000 });
}

/** Makes every corpus file in `dir` (two ffmpeg at a time); returns name -> path. */
export async function makeMedia(dir: string): Promise<Record<keyof typeof MEDIA, string>> {
  await fs.promises.mkdir(dir, { recursive: true });
  const names = Object.keys(MEDIA);
  const files: Record<string, string> = {};
  const next = async (): Promise<void> => {
    for (let name = names.shift(); name !== undefined; name = names.shift()) {
      const file = path.join(dir, name);
      const make = MEDIA[name];
      await (typeof make === 'function' ? make(file, dir) : ffmpeg(make, file)).catch((err: Error) => {
        throw new Error(`corpus file ${name}: ${err.message}`);
      });
      files[name] = file;
    }
  };
  await Promise.all([next(), next()]);
  return files;
}

if (require.main === module) {
  const dir = path.resolve(process.argv[2] ?? 'corpus');
  makeMedia(dir).then(
    (files) => {
      for (const [name, file] of Object.entries(files)) console.log(`${name}\t${fs.statSync(file).size}\t${file}`);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
