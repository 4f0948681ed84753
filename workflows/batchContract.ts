// Batch vocabulary: manifests, outputs, progress and summaries (types only).
import type { Destination, Source } from './contract';

/** One line of a manifest. */
export interface BatchItemSpec {
  source: Source;
  destination: Destination;
  /** Output bitrate in Mbps (see SuperResolveInput.bitRateMbps). */
  bitRateMbps?: number;
}

/** Where the list of videos comes from. Folders and prefixes are listed (sorted) page by page. */
export type Manifest =
  | { kind: 'items'; items: BatchItemSpec[] }
  | { kind: 'file'; path: string }
  | { kind: 'folder'; path: string }
  | { kind: 'oss'; bucket: string; prefix: string };

/** Where outputs of listed folders/prefixes go, and where the summary is written. */
export type BatchOutput = { kind: 'local'; dir: string } | { kind: 'oss'; bucket: string; prefix: string };

export interface BatchInput {
  batchId: string;
  manifest: Manifest;
  output: BatchOutput;
  /** Default bitrate (Mbps) for items that name none. */
  bitRateMbps?: number;
  /** Videos in flight at once for this batch, default 4, at most 100 (the submit rate is limited account-wide anyway). */
  concurrency?: number;
  /** Redo videos already done (a new child id for each), paying again; their outputs are replaced. */
  force?: boolean;
  /** Replace outputs that exist already (default: such a video fails with DestinationExists). */
  overwrite?: boolean;
  /** Items listed per workflow run before continue-as-new (default 100); tune down for huge items, up for speed. */
  pageSize?: number;
  /** Only videos modified since the last batch of this output that finished without failures (schedules). */
  sinceLastSuccess?: boolean;
}

export type ItemStatus = 'done' | 'failed' | 'skipped';

export interface BatchItemResult {
  source: string;
  destination: string;
  status: ItemStatus;
  reason?: string;
  workflowId: string;
  jobId?: string;
  sizeBytes?: number;
  sha256?: string;
}

export interface BatchCounts {
  done: number;
  failed: number;
  skipped: number;
}

export interface BatchProgress extends BatchCounts {
  batchId: string;
  stage: 'listing' | 'running' | 'summarizing' | 'done';
  total: number;
  running: number;
  /** The latest failures and skips with their reasons (the summary has all of them). */
  recent: Array<{ source: string; status: ItemStatus; reason: string }>;
}

export interface BatchSummary extends BatchCounts {
  batchId: string;
  total: number;
  startedAt: string;
  finishedAt: string;
  /** Where the JSON and CSV summaries were written. */
  summaryJson: string;
  summaryCsv: string;
}

/** A listed page: items with the child workflow id each maps to. */
export interface BatchPage {
  items: Array<BatchItemSpec & { workflowId: string }>;
  total: number;
}

/** Bounds and defaults of a batch's knobs; outside the bounds a value is clamped. */
export const BATCH_LIMITS = {
  concurrency: { min: 1, max: 100, default: 4 },
  /** Items listed at once, and rows written per page file; a run lists pages up to its item budget, so history stays small at any size. */
  pageSize: { min: 1, max: 500, default: 100 },
} as const;

export const BATCH_WORKFLOW_TYPE = 'vsrBatch';
export const QUERY_BATCH_PROGRESS = 'batchProgress';
