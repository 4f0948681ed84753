// The stand-in's own look at a downloaded input: ffprobe for streams and container, plus the few header
// bytes ffprobe does not report (Matroska's DocType), so that the provider's format list can be applied.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface MediaFacts {
  /** The demuxer: 'mov' (MP4/MOV/3GP/M4A), 'matroska' (MKV/WebM), 'avi', 'flv', 'mpegts', 'mpeg', 'mxf', ... */
  container: string;
  /** ISO-BMFF major brand ('isom', 'qt  ', '3gp4', ...), for the 'mov' demuxer. */
  brand?: string;
  /** EBML DocType ('matroska' or 'webm'), for the 'matroska' demuxer. */
  docType?: string;
  hasVideo: boolean;
  hasAudio: boolean;
  width: number;
  height: number;
  durationSeconds: number;
  /** The video's frame rate as ffprobe's fraction ("30000/1001"): average rate, else the stream's base rate. */
  frameRate: string;
}

interface FfprobeJson {
  format?: { format_name?: string; duration?: string; tags?: Record<string, string> };
  streams?: Array<{
    codec_type?: string;
    width?: number;
    height?: number;
    avg_frame_rate?: string;
    r_frame_rate?: string;
    disposition?: { attached_pic?: number };
  }>;
}

/** Probes a local file; throws when ffprobe cannot read it as media. */
export async function probeFile(file: string): Promise<MediaFacts> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file], {
    maxBuffer: 16 * 1024 * 1024,
    timeout: 120_000,
  });
  const json = JSON.parse(stdout) as FfprobeJson;
  const names = (json.format?.format_name ?? '').split(',');
  const container = names.includes('mov') ? 'mov' : names.includes('matroska') ? 'matroska' : (names[0] ?? '');
  // A cover picture is a video stream too; it does not make an audio file a video.
  const video = json.streams?.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  return {
    container,
    brand: container === 'mov' ? json.format?.tags?.major_brand : undefined,
    docType: container === 'matroska' ? await matroskaDocType(file) : undefined,
    hasVideo: Boolean(video),
    hasAudio: Boolean(json.streams?.some((s) => s.codec_type === 'audio')),
    width: video?.width ?? 0,
    height: video?.height ?? 0,
    durationSeconds: Number(json.format?.duration ?? 0),
    frameRate: [video?.avg_frame_rate, video?.r_frame_rate].find((r) => r && fps(r) > 0) ?? '25/1',
  };
}

/** Frames per second of an ffprobe fraction ("30000/1001"); 0 for "0/0". */
export function fps(fraction: string): number {
  const [n, d] = fraction.split('/').map(Number);
  return d ? n / d : n || 0;
}

/** Reads the DocType element (ID 0x4282) of an EBML header: 'matroska' or 'webm'. */
async function matroskaDocType(file: string): Promise<string | undefined> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const head = Buffer.alloc(256);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const bytes = head.subarray(0, bytesRead);
    const at = bytes.indexOf(Buffer.from([0x42, 0x82]));
    if (at < 0 || at + 2 >= bytes.length) return undefined;
    // The size is an EBML variable-length integer: its first byte's leading zeros give its length.
    const first = bytes[at + 2];
    const width = Math.clz32(first) - 23;
    if (width < 1 || width > 8) return undefined;
    let size = first & (0xff >> width);
    for (let i = 1; i < width; i++) size = size * 256 + bytes[at + 2 + i];
    const start = at + 2 + width;
    return bytes.subarray(start, start + size).toString('ascii');
  } finally {
    await handle.close();
  }
}
