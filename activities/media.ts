// ffprobe wrapper and vsr's reading of the provider's input limits (container, size, resolution, bitrate, URL).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ErrorType, VideoFacts } from '../workflows/contract';
import { BIT_RATE_MBPS, ErrorTypes } from '../workflows/contract';

const execFileAsync = promisify(execFile);

export const LIMITS = {
  maxBytes: 1024 * 1024 * 1024,
  minShortSide: 360,
  maxLongSide: 1920,
  maxShortSide: 1080,
  minBitRate: BIT_RATE_MBPS.min,
  maxBitRate: BIT_RATE_MBPS.max,
  defaultBitRate: BIT_RATE_MBPS.default,
} as const;

/** ffprobe `format_name` values of the containers the provider accepts (MP4, AVI, MKV, MOV, FLV, TS, MPG, MXF). */
const ACCEPTED_FORMATS = new Set(['mov', 'mp4', 'm4a', '3gp', '3g2', 'mj2', 'avi', 'matroska', 'webm', 'flv', 'mpegts', 'mpeg', 'mxf']);

export interface LimitViolation {
  type: ErrorType;
  field: string;
  message: string;
}

/** Probes a local file or an http(s) URL. Throws when ffprobe cannot read it as media. */
export async function probe(input: string): Promise<VideoFacts> {
  const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', input], {
    maxBuffer: 16 * 1024 * 1024,
    timeout: 120_000,
  });
  const parsed = JSON.parse(stdout) as {
    format?: { format_name?: string; duration?: string; bit_rate?: string; size?: string };
    streams?: Array<{ codec_type?: string; codec_name?: string; width?: number; height?: number; bit_rate?: string }>;
  };
  const video = parsed.streams?.find((s) => s.codec_type === 'video');
  return {
    formatName: parsed.format?.format_name ?? 'unknown',
    videoCodec: video?.codec_name ?? 'none',
    width: video?.width ?? 0,
    height: video?.height ?? 0,
    durationSeconds: Number(parsed.format?.duration ?? 0),
    bitRate: Number(video?.bit_rate ?? parsed.format?.bit_rate ?? 0),
    sizeBytes: Number(parsed.format?.size ?? 0),
    hasAudio: Boolean(parsed.streams?.some((s) => s.codec_type === 'audio')),
  };
}

export function isAcceptedContainer(formatName: string): boolean {
  return formatName.split(',').some((f) => ACCEPTED_FORMATS.has(f.trim()));
}

/**
 * The chosen reading of "above 360x360 and below 1920x1080": the short side is at least 360 px,
 * the long side at most 1920 px, and the short side at most 1080 px (portrait allowed).
 */
export function resolutionViolation(width: number, height: number): LimitViolation | undefined {
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  const problems: string[] = [];
  if (short < LIMITS.minShortSide) problems.push(`short side ${short}px is below ${LIMITS.minShortSide}px`);
  if (long > LIMITS.maxLongSide) problems.push(`long side ${long}px is above ${LIMITS.maxLongSide}px`);
  if (short > LIMITS.maxShortSide) problems.push(`short side ${short}px is above ${LIMITS.maxShortSide}px`);
  if (problems.length === 0) return undefined;
  return {
    type: ErrorTypes.ResolutionOutOfRange,
    field: 'source.resolution',
    message: `source.resolution ${width}x${height} is out of range: ${problems.join('; ')} (allowed: short side ${LIMITS.minShortSide}..${LIMITS.maxShortSide}px, long side <= ${LIMITS.maxLongSide}px)`,
  };
}

export function bitRateViolation(bitRate: unknown, field = 'bitRate'): LimitViolation | undefined {
  if (bitRate === undefined) return undefined;
  if (typeof bitRate === 'number' && Number.isInteger(bitRate) && bitRate >= LIMITS.minBitRate && bitRate <= LIMITS.maxBitRate)
    return undefined;
  return {
    type: ErrorTypes.InvalidBitRate,
    field,
    message: `${field} ${JSON.stringify(bitRate)} is invalid: must be an integer from ${LIMITS.minBitRate} to ${LIMITS.maxBitRate} (Mbps)`,
  };
}

export function urlViolation(url: string, field = 'source.url'): LimitViolation | undefined {
  // The provider rejects Chinese characters; we reject any non-ASCII rather than guess an encoding.
  const bad = [...url].find((ch) => ch.charCodeAt(0) > 0x7e || ch.charCodeAt(0) < 0x21);
  if (bad !== undefined) {
    return {
      type: ErrorTypes.NonAsciiUrl,
      field,
      message: `${field} ${JSON.stringify(url)} contains the character ${JSON.stringify(bad)}; the provider accepts printable ASCII only. Percent-encode it (encodeURI) before submitting; vsr does not re-encode URLs for you`,
    };
  }
  if (!/^https?:\/\//i.test(url)) {
    return { type: ErrorTypes.InvalidSource, field, message: `${field} ${JSON.stringify(url)} must be an http(s) URL` };
  }
  return undefined;
}

/** Every limit the provider states, checked on probed facts. Returns the first violation. */
export function mediaViolation(facts: VideoFacts, field = 'source'): LimitViolation | undefined {
  if (facts.sizeBytes > LIMITS.maxBytes) {
    return {
      type: ErrorTypes.FileTooLarge,
      field: `${field}.size`,
      message: `${field}.size ${facts.sizeBytes} bytes exceeds the limit of ${LIMITS.maxBytes} bytes (1 GiB)`,
    };
  }
  if (!isAcceptedContainer(facts.formatName)) {
    return {
      type: ErrorTypes.UnsupportedContainer,
      field: `${field}.container`,
      message: `${field}.container ${JSON.stringify(facts.formatName)} is not accepted (MP4, AVI, MKV, MOV, FLV, TS, MPG, MXF)`,
    };
  }
  if (facts.videoCodec === 'none' || facts.width === 0) {
    return { type: ErrorTypes.UnsupportedContainer, field: `${field}.video`, message: `${field} has no video stream` };
  }
  return resolutionViolation(facts.width, facts.height);
}
