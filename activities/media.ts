// ffprobe wrapper and vsr's reading of the provider's input limits (container, size, resolution, bitrate, URL).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
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

/** The containers the provider accepts, as `containerOf` names them (MP4, AVI, MKV, MOV, FLV, TS, MPG, MXF). */
const ACCEPTED_CONTAINERS = new Set(['mp4', 'mov', 'mkv', 'avi', 'flv', 'ts', 'mpg', 'mxf']);

/**
 * The demuxers ffprobe may use. Besides the accepted containers' demuxers, only single-file formats that are
 * worth naming in a refusal; never playlists (hls, concat, image2 patterns), which open further files or URLs
 * named inside the input and would let a crafted "video" read the worker's files or reach internal services.
 */
const PROBE_FORMATS =
  'mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,flv,mpegts,mpeg,mxf,gif,png_pipe,jpeg_pipe,webp_pipe,bmp_pipe,mp3,wav,ogg,aac,flac';

export interface LimitViolation {
  type: ErrorType;
  field: string;
  message: string;
}

interface FfprobeJson {
  format?: { format_name?: string; duration?: string; bit_rate?: string; size?: string; tags?: Record<string, string> };
  streams?: Array<{
    codec_type?: string;
    codec_name?: string;
    width?: number;
    height?: number;
    bit_rate?: string;
    pix_fmt?: string;
    disposition?: { attached_pic?: number };
    tags?: Record<string, string>;
    side_data_list?: Array<{ rotation?: number }>;
  }>;
}

/**
 * Probes a local file, or a URL (for which pass `protocols: 'http,tcp'`). Throws when ffprobe cannot read it as
 * media. `head`, the first bytes of the input, tells MKV from WebM; a local file's are read here when not given.
 */
export async function probe(input: string, o: { protocols?: string; head?: Buffer } = {}): Promise<VideoFacts> {
  const protocols = o.protocols ?? 'file';
  const args = ['-v', 'error', '-protocol_whitelist', protocols, '-format_whitelist', PROBE_FORMATS];
  const { stdout } = await execFileAsync('ffprobe', [...args, '-print_format', 'json', '-show_format', '-show_streams', input], {
    maxBuffer: 16 * 1024 * 1024,
    timeout: 120_000,
  });
  const parsed = JSON.parse(stdout) as FfprobeJson;
  // A cover picture is a video stream too; it does not make an audio file a video.
  const videos = (parsed.streams ?? []).filter((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const video = videos[0];
  const formatName = parsed.format?.format_name ?? 'unknown';
  const head = o.head ?? (protocols === 'file' && /matroska/.test(formatName) ? await fileHead(input) : undefined);
  const rotation = Number(video?.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? video?.tags?.rotate ?? 0);
  // Sizes as displayed: a phone's 1920x1080 stream turned a quarter is a 1080x1920 video, and so is its 2x result.
  const quarterTurn = Math.abs(rotation) % 180 === 90;
  return {
    formatName,
    container: containerOf(formatName, parsed.format?.tags?.major_brand, head),
    videoCodec: video?.codec_name ?? 'none',
    videoStreams: videos.length,
    width: (quarterTurn ? video?.height : video?.width) ?? 0,
    height: (quarterTurn ? video?.width : video?.height) ?? 0,
    rotation,
    pixelFormat: video?.pix_fmt,
    durationSeconds: Number(parsed.format?.duration ?? 0),
    bitRate: Number(video?.bit_rate ?? parsed.format?.bit_rate ?? 0),
    sizeBytes: Number(parsed.format?.size ?? 0),
    hasAudio: Boolean(parsed.streams?.some((s) => s.codec_type === 'audio')),
  };
}

/** The first bytes of a file (enough for Matroska's EBML header). */
export async function fileHead(file: string): Promise<Buffer> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(256);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Matroska's EBML header names its DocType (element 0x4282): 'matroska' or 'webm'. */
export function matroskaDocType(head: Buffer): string | undefined {
  const at = head.indexOf(Buffer.from([0x42, 0x82]));
  if (at < 0 || at + 2 >= head.length) return undefined;
  // The size is an EBML variable-length integer: its first byte's leading zeros give its length.
  const width = Math.clz32(head[at + 2]) - 23;
  if (width < 1 || width > 8) return undefined;
  let size = head[at + 2] & (0xff >> width);
  for (let i = 1; i < width; i++) size = size * 256 + head[at + 2 + i];
  return head.subarray(at + 2 + width, at + 2 + width + size).toString('ascii');
}

/**
 * The container, judged by probing rather than by name: ffprobe's demuxer, told apart further by the ISO-BMFF brand
 * (MP4 and MOV from 3GP, M4A, Motion JPEG 2000) and Matroska's DocType (MKV from WebM).
 */
export function containerOf(formatName: string, brand?: string, head?: Buffer): string {
  const names = formatName.split(',');
  if (names.includes('mov')) {
    const b = (brand ?? '').trim().toLowerCase();
    if (!b || b === 'qt') return 'mov';
    if (b.startsWith('3g')) return '3gp';
    if (/^m4[abp]$/.test(b)) return 'm4a';
    if (b === 'mjp2') return 'mj2';
    return 'mp4';
  }
  if (names.includes('matroska')) return head && matroskaDocType(head) === 'webm' ? 'webm' : 'mkv';
  const known: Record<string, string> = { mpegts: 'ts', mpeg: 'mpg' };
  return known[names[0]] ?? names[0];
}

export function isAcceptedContainer(container: string): boolean {
  return ACCEPTED_CONTAINERS.has(container);
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

/**
 * A bitrate as a person wrote it (`--bitrate`, a CSV cell): decimal digits only, so `1e1`, `7.5`, `0x10`, `ten`
 * and `-1` are refused rather than read as numbers; then the range. The one parser for the CLI and manifests.
 */
export function bitRateFromText(text: string, field: string): { value: number } | { violation: LimitViolation } {
  const value = /^\d{1,6}$/.test(text.trim()) ? Number(text.trim()) : NaN;
  const violation = bitRateViolation(Number.isNaN(value) ? text : value, field);
  return violation ? { violation } : { value };
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
  const container = facts.container ?? containerOf(facts.formatName);
  if (!isAcceptedContainer(container)) {
    return {
      type: ErrorTypes.UnsupportedContainer,
      field: `${field}.container`,
      message: `${field}.container ${JSON.stringify(container)} (probed: ${facts.formatName}) is not accepted; the provider takes MP4, AVI, MKV, MOV, FLV, TS, MPG, MXF`,
    };
  }
  if (facts.videoCodec === 'none' || facts.width === 0) {
    return { type: ErrorTypes.UnsupportedContainer, field: `${field}.video`, message: `${field} has no video stream (audio only?)` };
  }
  if ((facts.videoStreams ?? 1) > 1) {
    return {
      type: ErrorTypes.UnsupportedContainer,
      field: `${field}.video`,
      message: `${field} has ${facts.videoStreams} video streams; the provider upscales one, so keep the one you want (ffmpeg -map 0:v:0 -map 0:a? -c copy)`,
    };
  }
  return resolutionViolation(facts.width, facts.height);
}
