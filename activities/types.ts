// Inputs and outputs of the activities: plain data that may enter workflow history (no secrets, no bytes).
import type { Destination, ErrorType, JobStatus, ProviderName, Source, VideoFacts } from '../workflows/contract';

/** What the provider should read: a URL it can fetch, or an object in OSS the worker signs at submit time. */
export type ProviderSource = { kind: 'url'; url: string } | { kind: 'oss'; bucket: string; key: string };

export interface ValidatedInput {
  facts: VideoFacts;
  provider: ProviderName;
  /** Where the provider reads the source from; undefined when it must be uploaded first. */
  providerSource?: ProviderSource;
  /** Bucket for temporary objects (uploads). */
  workBucket: string;
}

export interface UploadInput {
  workflowId: string;
  source: Source;
  bucket: string;
  key: string;
}

/** One paced submit, made by the submit lane (never by a pipeline directly). */
export interface ProviderSubmitInput {
  providerSource: ProviderSource;
  bitRateMbps?: number;
  /** When the lane last sent a submit (epoch ms): the next waits out the account's pacing after it. */
  lastSentAt?: number;
}

/**
 * What became of a submit, as far as "was a job made?" goes:
 * - accepted: the provider answered with the job id;
 * - refused: it answered with an error that retrying cannot fix (credentials, parameters): no job;
 * - busy: it kept answering "not now" (throttling, 5xx with a code) or could not be reached: no job yet;
 * - ambiguous: the request may have reached it but no usable answer came back: a job may exist, created
 *   between `from` and `to` (epoch ms).
 */
export type ProviderSubmitOutcome = { sentAt?: number } & (
  | { outcome: 'accepted'; jobId: string }
  | { outcome: 'refused'; type: ErrorType; message: string }
  | { outcome: 'busy'; code: string; message: string }
  | { outcome: 'ambiguous'; from: number; to: number; code: string }
);

/** A request as the lane hands it to `submitInOrder`: only what the provider needs, plus its id. */
export interface InOrderRequest {
  requestId: string;
  providerSource: ProviderSource;
  bitRateMbps?: number;
}

/** Queued requests sent one after the other by one activity, each outcome signalled to the lane before the next send. */
export interface SubmitInOrderInput {
  /** The lane's number for this call (within its run): outcome signals carry it, so a late one is recognised. */
  call: number;
  requests: InOrderRequest[];
  /** When the lane last sent a submit (epoch ms): the first send waits out the account's pacing after it. */
  lastSentAt?: number;
}

/** An accepted or refused send, signalled to the lane (and accepted by the server) before the next send. */
export interface SubmitOutcomeSignal {
  call: number;
  requestId: string;
  outcome: ProviderSubmitOutcome & { outcome: 'accepted' | 'refused' };
}

/**
 * How a call ended: the first `signalled` requests' outcomes were signalled; `stopped`, when present, is the outcome
 * of the next one (busy after its budget, or ambiguous); the requests after that were not sent.
 */
export interface SubmitInOrderResult {
  signalled: number;
  stopped?: ProviderSubmitOutcome & { outcome: 'busy' | 'ambiguous' };
}

/** SuperResolveVideo jobs created between two times (epoch ms), listed no sooner than the list's rate allows. */
export interface ListJobsInput {
  from: number;
  to: number;
  /** When the lane last listed (epoch ms): QueryAsyncJobList allows one call per 5 s per account. */
  lastListAt?: number;
}

export interface ListJobsOutput {
  jobIds: string[];
  /** The window starts further back than the job list reaches (24 hours): nothing was listed. */
  beyondReach?: boolean;
  /** When the last page was asked for. */
  listedAt: number;
}

export interface PollOutput {
  status: JobStatus;
  errorCode?: string;
  errorMessage?: string;
}

export interface DownloadInput {
  workflowId: string;
  jobId: string;
  destination: Destination;
  /** Replace an existing destination; without it the result is never moved over a file or object already there. */
  overwrite?: boolean;
  expectedWidth: number;
  expectedHeight: number;
}

export interface DownloadOutput {
  sizeBytes: number;
  sha256: string;
  facts: VideoFacts;
}

export interface TransferProgress {
  stage: 'uploading' | 'downloading';
  bytesDone: number;
  bytesTotal: number;
}
