// The provider's rules for SuperResolveVideo, read by the stand-in from the provider's own document
// (seed-SuperResolveVideo.zh.txt), independently of vsr's reading: when the two disagree, a test fails.
//
//   输入限制
//   • 视频格式:MP4,AVI,MKV,MOV, FLV,TS,MPG,MXF。
//   • 视频大小:不超过1 GB。
//   • 视频分辨率:大于360×360像素,小于1920×1080像素。
//   • URL地址中不能包含中文字符。
//   BitRate Integer: 输出视频编码率,单位为Mbps,默认10 Mbps。取值范围1~100。
import type { MediaFacts } from './probe';

/** 不超过1 GB: Alibaba Cloud counts storage in binary units, so 1 GB is 1024^3 bytes. */
export const MAX_VIDEO_BYTES = 1024 ** 3;
export const BIT_RATE = { min: 1, max: 100, default: 10 } as const;

/** The message SuperResolveVideo answers with, word for word from the document's response example. */
export const SUBMITTED_MESSAGE =
  '该调用为异步调用,任务已提交成功,请以requestId的值作为jobId参数调用同类目下GetAsyncJobResult接口查询任务执行状态和结果。';

/** A refusal: the provider's error code and message. */
export interface Refusal {
  code: string;
  message: string;
}

/** Han characters (中文字符) and the CJK punctuation that comes with them. */
const CHINESE = /[\p{Script=Han}\u3000-\u303f\uff00-\uffef]/u;

/**
 * Checks the VideoUrl at submit time. The document forbids Chinese characters only; other non-ASCII
 * characters are left to the download, which percent-encodes them like any HTTP client.
 */
export function videoUrlRefusal(videoUrl: string | undefined): Refusal | undefined {
  if (videoUrl === undefined || videoUrl === '') return { code: 'MissingVideoUrl', message: 'VideoUrl is mandatory for this action.' };
  if (CHINESE.test(videoUrl))
    return { code: 'InvalidParameter', message: 'URL地址中不能包含中文字符: VideoUrl contains Chinese characters.' };
  let url: URL;
  try {
    url = new URL(videoUrl);
  } catch {
    return { code: 'InvalidParameter', message: `VideoUrl ${JSON.stringify(videoUrl)} is not a valid URL.` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { code: 'InvalidParameter', message: `VideoUrl must be an http(s) URL, not ${url.protocol}` };
  return undefined;
}

/** Parses BitRate as the RPC layer receives it (a form string): an integer from 1 to 100, 10 when absent. */
export function parseBitRate(raw: string | undefined): number | Refusal {
  if (raw === undefined || raw === '') return BIT_RATE.default;
  if (!/^-?\d+$/.test(raw.trim()))
    return { code: 'InvalidParameter', message: `BitRate ${JSON.stringify(raw)} is not an Integer (取值范围1~100).` };
  const n = Number(raw);
  if (n < BIT_RATE.min || n > BIT_RATE.max)
    return { code: 'InvalidParameter', message: `BitRate ${n} is out of range: 取值范围${BIT_RATE.min}~${BIT_RATE.max} (Mbps).` };
  return n;
}

/**
 * The containers of the document's list, as the stand-in's probe names them. MP4 and MOV share one
 * demuxer, so the ftyp brand tells them from 3GP/M4A; Matroska's DocType tells MKV from WebM.
 */
export function containerAccepted(facts: Pick<MediaFacts, 'container' | 'brand' | 'docType'>): boolean {
  switch (facts.container) {
    case 'mov': {
      const brand = (facts.brand ?? '').trim().toLowerCase();
      return !brand.startsWith('3g') && brand !== 'm4a' && brand !== 'm4b' && brand !== 'm4p';
    }
    case 'matroska':
      return (facts.docType ?? 'matroska') === 'matroska';
    case 'avi':
    case 'flv':
    case 'mpegts':
    case 'mpeg':
    case 'mxf':
      return true;
    default:
      return false;
  }
}

/**
 * "大于360×360像素,小于1920×1080像素", read orientation-free and with the boundaries included: the
 * short side from 360 to 1080 px and the long side at most 1920 px. A strict reading would refuse
 * 640x360 and 1920x1080, the most common sizes of all, which the provider's use cases (old footage,
 * low-bandwidth video) are about; portrait video is the same frame turned.
 */
export function resolutionAccepted(width: number, height: number): boolean {
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  return short >= 360 && short <= 1080 && long <= 1920;
}

/** What the provider says about a downloaded input, or undefined when it will process it. */
export function inputRefusal(facts: MediaFacts | undefined, sizeBytes: number): Refusal | undefined {
  if (sizeBytes > MAX_VIDEO_BYTES)
    return { code: 'InvalidFile.Size', message: `视频大小不超过1 GB: the video is ${sizeBytes} bytes, above ${MAX_VIDEO_BYTES}.` };
  if (!facts || !facts.hasVideo) return { code: 'InvalidFile.Content', message: 'The input file is not a readable video.' };
  if (!containerAccepted(facts))
    return {
      code: 'InvalidFile.Format',
      message: `视频格式:MP4,AVI,MKV,MOV,FLV,TS,MPG,MXF: the input is ${facts.brand ?? facts.docType ?? facts.container}.`,
    };
  if (!resolutionAccepted(facts.width, facts.height))
    return {
      code: 'InvalidFile.Resolution',
      message: `视频分辨率:大于360×360像素,小于1920×1080像素: the input is ${facts.width}x${facts.height}.`,
    };
  return undefined;
}
