// What an engine needs to know about its input, read with ffprobe.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface VideoFacts {
  width: number;
  height: number;
  /** Frames per second of the first video stream (its r_frame_rate), as a fraction "num/den". */
  frameRate: string;
  fps: number;
  durationSeconds: number;
}

export async function probeVideo(file: string, signal?: AbortSignal): Promise<VideoFacts> {
  const { stdout } = await run(
    'ffprobe',
    [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=width,height,r_frame_rate,avg_frame_rate:format=duration',
      '-of',
      'json',
      file,
    ],
    { signal },
  );
  const j = JSON.parse(stdout) as {
    streams?: Array<{ width?: number; height?: number; r_frame_rate?: string; avg_frame_rate?: string }>;
    format?: { duration?: string };
  };
  const s = j.streams?.[0];
  if (!s?.width || !s.height) throw new Error(`${file} has no video stream`);
  const rate = [s.avg_frame_rate, s.r_frame_rate].find((r) => r && fraction(r) > 0) ?? '25/1';
  return { width: s.width, height: s.height, frameRate: rate, fps: fraction(rate), durationSeconds: Number(j.format?.duration ?? 0) };
}

function fraction(r: string): number {
  const [n, d] = r.split('/').map(Number);
  return d ? n / d : n;
}
