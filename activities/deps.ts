// What activities need from the outside world, injected so tests can swap any of it.
import type { Client } from '@temporalio/client';
import type { ProviderName } from '../workflows/contract';
import type { OutputRoot } from './destination';
import type { UrlPolicy } from './net/guardedHttp';
import type { ObjectStorage } from './provider/oss';
import type { ViapiClient } from './provider/viapi';
import type { TransferProgress } from './types';

export interface ActivityDeps {
  provider: ProviderName;
  viapi: ViapiClient;
  storage: ObjectStorage;
  /** Bucket for temporary uploads (the stand-in's bucket, or the user's bucket in cn-shanghai). */
  workBucket: string;
  /** Local folder for partial downloads. */
  workDir: string;
  /** Epoch ms; the clock URL-expiry decisions use. */
  now: () => number;
  /** Delivers transfer progress to the workflow (a signal in production); called at most every `progressIntervalMs`. */
  reportProgress: (workflowId: string, progress: TransferProgress) => Promise<void>;
  progressIntervalMs?: number;
  /** Multipart part size in bytes (at least 100 KiB); default 8 MiB. */
  partSize?: number;
  /** Temporal client: batch activities look up earlier runs of an item; pipelines reach the submit lane. */
  temporal?: Client;
  /**
   * A non-secret label of the provider account (one submit lane per account): resolved when first needed,
   * since a credential chain may have to be asked.
   */
  account: () => Promise<string>;
  /** Submits per second the account allows (default 2): the lane's pace. */
  submitsPerSecond?: number;

  // Safety settings (config's safety block).
  /** Where outputs may go (`VSR_OUTPUT_ROOT`); empty or absent: anywhere the worker may write. */
  outputRoots?: OutputRoot[];
  /** What URL fetches may reach beyond public addresses (source probes, result downloads); absent: public only. */
  urlPolicy?: UrlPolicy;
  /** Payloads are encrypted (VSR_PAYLOAD_KEY): only then may a URL with credentials travel through history. */
  payloadsEncrypted?: boolean;
}
