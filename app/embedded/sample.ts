// Makes small real videos with ffmpeg: the quick start's sample and the tests' inputs.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface SampleOptions {
  width?: number;
  height?: number;
  seconds?: number;
  audio?: boolean;
  /** ffmpeg muxer, e.g. mp4, matroska, avi, mpegts; default mp4. */
  format?: string;
  /** Video bitrate in Mbps, to make files of a predictable size. */
  bitRateMbps?: number;
}

/** A test pattern with a moving element and a tone, so encoders have real work and audio is checkable. */
export async function makeSampleVideo(file: string, o: SampleOptions = {}): Promise<string> {
  const { width = 640, height = 360, seconds = 2, audio = true, format = 'mp4', bitRateMbps } = o;
  const args = [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${width}x${height}:rate=25:duration=${seconds}`,
  ];
  if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`);
  args.push('-c:v', format === 'avi' ? 'mpeg4' : 'libx264', '-pix_fmt', 'yuv420p', '-preset', 'ultrafast');
  if (bitRateMbps)
    args.push(
      '-b:v',
      `${bitRateMbps}M`,
      '-minrate',
      `${bitRateMbps}M`,
      '-maxrate',
      `${bitRateMbps}M`,
      '-bufsize',
      `${bitRateMbps}M`,
      '-x264-params',
      'nal-hrd=cbr',
    );
  if (audio) args.push('-c:a', format === 'avi' ? 'libmp3lame' : 'aac');
  args.push('-shortest', '-f', format, file);
  await execFileAsync('ffmpeg', args);
  return file;
}
