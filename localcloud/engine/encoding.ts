// The output encoding every engine uses, in one place: H.264 in MP4 at a constant bitrate, AAC audio.
export type X264Preset = 'ultrafast' | 'superfast' | 'veryfast' | 'faster' | 'fast' | 'medium';

/** Output frames (width x height) up to which x264 looks 40 frames ahead, as its `medium` preset does. */
const FULL_LOOKAHEAD_MAX_PIXELS = 1920 * 1080;

/**
 * x264's rate-control lookahead, in frames. The fast presets look only 10 frames ahead and then overshoot a CBR
 * target (veryfast: 10.9 Mbps for 10 requested, measured), so every preset gets medium's 40 and every engine
 * holds the requested bitrate alike. x264 buffers those frames at full size, so beyond 1080p outputs the
 * lookahead stays at 10: 40 frames of 3840x2160 cost x264 0.75 GiB more than 10 (measured), and a 4K job must
 * stay under 2 GiB.
 */
function rcLookahead(width: number, height: number): number {
  return width * height <= FULL_LOOKAHEAD_MAX_PIXELS ? 40 : 10;
}

/** ffmpeg output options: libx264 CBR at `bitRateMbps` for a `width` x `height` output, audio re-encoded to AAC, faststart MP4. */
export function h264OutputArgs(bitRateMbps: number, preset: X264Preset, width: number, height: number): string[] {
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
    `nal-hrd=cbr:force-cfr=1:rc-lookahead=${rcLookahead(width, height)}`,
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
