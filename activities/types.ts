// Inputs and outputs of the activities: plain data that may enter workflow history (no secrets, no bytes).
import type { Destination, JobStatus, ProviderName, Source, VideoFacts } from '../workflows/contract';

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

export interface SubmitInput {
  workflowId: string;
  providerSource: ProviderSource;
  bitRateMbps?: number;
  /** Epoch ms before which no matching job can be ours (the workflow's time before the first attempt). */
  notBefore: number;
  /** Jobs already known (earlier LIMIT_RETRY_FAILED ones) that reconciliation must not adopt. */
  excludeJobIds: string[];
}

export interface SubmitOutput {
  jobId: string;
  /** True when an earlier attempt's job was found instead of submitting again. */
  reconciled: boolean;
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
