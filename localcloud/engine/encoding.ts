// The output encoding every engine uses, in one place: H.264 in MP4 at a constant bitrate, AAC audio.
export type X264Preset = 'ultrafast' | 'superfast' | 'veryfast' | 'faster' | 'fast' | 'medium';

/** ffmpeg output options: libx264 CBR at `bitRateMbps`, audio re-encoded to AAC, faststart MP4. */
export function h264OutputArgs(bitRateMbps: number, preset: X264Preset): string[] {
  const rate = `${bitRateMbps}M`;
  return [
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    '-preset',
    preset,
    // CBR with HRD filler: holds the requested bitrate even on simple content that x264 would undershoot.
    '-b:v',
    rate,
    '-minrate',
    rate,
    '-maxrate',
    rate,
    '-bufsize',
    `${bitRateMbps * 2}M`,
    '-x264-params',
    'nal-hrd=cbr:force-cfr=1',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
  ];
}

/** Reads ffmpeg's `-progress pipe:1` lines and reports out_time as a fraction of `totalSeconds`. */
export function progressReader(totalSeconds: number, onProgress?: (fraction: number) => void): (chunk: Buffer) => void {
  return (chunk) => {
    const m = /out_time_us=(\d+)/.exec(chunk.toString());
    if (m && totalSeconds > 0) onProgress?.(Math.min(1, Number(m[1]) / (totalSeconds * 1e6)));
  };
}
