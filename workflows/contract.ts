// The one vocabulary shared by client, workflows and activities: inputs, outputs, queries, error types.
// Types and constants only, so the workflow bundle stays deterministic.

/** Where a video comes from. Local paths are read by the worker, so they must be visible to it. */
export type Source = { kind: 'local'; path: string } | { kind: 'url'; url: string } | { kind: 'oss'; bucket: string; key: string };

/** Where the upscaled video goes. */
export type Destination = { kind: 'local'; path: string } | { kind: 'oss'; bucket: string; key: string };

export type ProviderName = 'local' | 'alibaba';

/** The provider's output bitrate: an integer number of Mbps in [min, max], `default` when none is asked for. */
export const BIT_RATE_MBPS = { min: 1, max: 100, default: 10 } as const;

export interface SuperResolveInput {
  source: Source;
  destination: Destination;
  /** Output bitrate in Mbps, an integer in BIT_RATE_MBPS (1..100); the provider's default when absent. */
  bitRateMbps?: number;
  /** Replace an existing destination (default false: an existing file or object is refused at validation). */
  overwrite?: boolean;
  /** ISO-8601 time after which the workflow gives up (cleaning up what it made). */
  deadline?: string;
  /** Polls per workflow run before continue-as-new (default 500): the history budget of long jobs. */
  pollsPerRun?: number;
  /** Wait before resubmitting a job the provider answered LIMIT_RETRY_FAILED (default 60 s). */
  resubmitDelayMs?: number;
  /** Resubmits after LIMIT_RETRY_FAILED before failing with ProviderRetryLimit (default 3). */
  maxResubmits?: number;
}

export interface VideoFacts {
  /** ffprobe's demuxer names, e.g. `mov,mp4,m4a,3gp,3g2,mj2`. */
  formatName: string;
  /** The container as vsr judges it by probing: mp4, mov, mkv, avi, flv, ts, mpg, mxf (accepted) or what else it is. */
  container?: string;
  videoCodec: string;
  /** Video streams other than cover pictures. */
  videoStreams?: number;
  /** Width and height as displayed (rotation applied). */
  width: number;
  height: number;
  /** Degrees the player turns the picture (display matrix); width and height already account for it. */
  rotation?: number;
  pixelFormat?: string;
  durationSeconds: number;
  /** Bits per second, as ffprobe reports it. */
  bitRate: number;
  sizeBytes: number;
  hasAudio: boolean;
}

export type Stage = 'validating' | 'uploading' | 'submitting' | 'polling' | 'downloading' | 'cleaning-up' | 'done' | 'failed';

export interface SuperResolveResult {
  destination: Destination;
  sizeBytes: number;
  sha256: string;
  width: number;
  height: number;
  durationSeconds: number;
  /** The output's video bitrate as probed, in bits per second. */
  bitRateBps: number;
  jobId: string;
  /** Milliseconds spent in each stage. */
  timings: Partial<Record<Stage, number>>;
}

export interface Progress {
  stage: Stage;
  /** Bytes moved in the current transfer stage and its total when known. */
  bytesDone: number;
  bytesTotal: number;
  percent: number;
  providerStatus?: JobStatus;
  pollCount: number;
  jobId?: string;
  submits: number;
  error?: string;
}

/** Job states reported by GetAsyncJobResult. */
export type JobStatus =
  'QUEUING' | 'PROCESSING' | 'PROCESS_SUCCESS' | 'PROCESS_FAILED' | 'TIMEOUT_FAILED' | 'LIMIT_RETRY_FAILED' | 'JOB_CANCELED';

/**
 * Stable error types. User errors are non-retryable and fail before anything is uploaded or paid for;
 * provider outcomes are non-retryable once the job is known to have ended that way.
 */
export const ErrorTypes = {
  InvalidBitRate: 'InvalidBitRate',
  InvalidSource: 'InvalidSource',
  SourceNotFound: 'SourceNotFound',
  UnsupportedContainer: 'UnsupportedContainer',
  FileTooLarge: 'FileTooLarge',
  ResolutionOutOfRange: 'ResolutionOutOfRange',
  NonAsciiUrl: 'NonAsciiUrl',
  InvalidDestination: 'InvalidDestination',
  InvalidDeadline: 'InvalidDeadline',
  /** The destination exists and the input did not say `overwrite: true`. */
  DestinationExists: 'DestinationExists',
  /** The source URL (or a redirect) leads to an address vsr may not fetch: loopback, private, link-local, ... */
  SourceNotAllowed: 'SourceNotAllowed',
  /** Retryable: the source URL failed for now (a reset, a timeout, a 5xx or 429 answer); final once retries run out. */
  SourceUnavailable: 'SourceUnavailable',
  /** A manifest row is malformed, or two rows write the same output. */
  InvalidManifest: 'InvalidManifest',
  /** Retryable: the folder a download writes to is full; the message names it. */
  NoSpaceLeft: 'NoSpaceLeft',
  ProviderRejected: 'ProviderRejected',
  ProviderJobFailed: 'ProviderJobFailed',
  ProviderJobTimedOut: 'ProviderJobTimedOut',
  ProviderJobCanceled: 'ProviderJobCanceled',
  ProviderRetryLimit: 'ProviderRetryLimit',
  ProviderAuth: 'ProviderAuth',
  OutputInvalid: 'OutputInvalid',
  DeadlineExceeded: 'DeadlineExceeded',
  /** Retryable: the signed result URL expired before the download completed. */
  ResultUrlExpired: 'ResultUrlExpired',
  /**
   * A submit whose outcome stayed unknown (its answer was lost and the job list could not attribute a job to it):
   * not sent again, so as never to pay twice.
   */
  SubmitOutcomeUnknown: 'SubmitOutcomeUnknown',
} as const;
export type ErrorType = (typeof ErrorTypes)[keyof typeof ErrorTypes];

export const WORKFLOW_TYPE = 'superResolveVideo';
export const QUERY_PROGRESS = 'progress';
export const DEFAULT_TASK_QUEUE = 'vsr';

/**
 * The submit lane's provider calls run on their own task queue, so a lane never waits for an activity slot
 * behind transfers on the main queue (its pace is the account's whole submit budget).
 */
export function submitTaskQueue(taskQueue: string): string {
  return `${taskQueue}-submit`;
}
