// The typed library other services import: start, query, cancel and await vsr workflows.
import { Client, WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Progress, SuperResolveInput, SuperResolveResult } from '../workflows/contract';
import { BIT_RATE_MBPS, DEFAULT_TASK_QUEUE, ErrorTypes, WORKFLOW_TYPE } from '../workflows/contract';
import {
  BATCH_WORKFLOW_TYPE,
  type BatchInput,
  type BatchOutput,
  type BatchProgress,
  type BatchSummary,
  type Manifest,
} from '../workflows/batchContract';
import { failureMessage } from '../workflows/failureMessage';
import { idFragment, stableHash, workflowIdFor } from '../workflows/ids';
import { describeLocation, redactUrl, urlCredentials } from '../workflows/locations';
import { batchProgressQuery, progressQuery } from '../workflows/signals';

export type { Destination, Progress, Source, SuperResolveInput, SuperResolveResult } from '../workflows/contract';
export { BIT_RATE_MBPS, ErrorTypes } from '../workflows/contract';
export { workflowIdFor } from '../workflows/ids';
export { describeLocation, redactUrl, urlCredentials } from '../workflows/locations';
export { AesGcmPayloadCodec, dataConverterFromEnv, parsePayloadKey, payloadCodecFromEnv } from './payloadCodec';
export { failureMessage } from '../workflows/failureMessage';
export type { BatchInput, BatchItemResult, BatchOutput, BatchProgress, BatchSummary, Manifest } from '../workflows/batchContract';

/** A batch id from what it covers, so re-running the same manifest joins or repeats the same batch. */
export function batchIdFor(manifest: Manifest, output: BatchOutput): string {
  const name =
    manifest.kind === 'folder' || manifest.kind === 'file'
      ? (manifest.path.split('/').filter(Boolean).pop() ?? 'batch')
      : manifest.kind === 'oss'
        ? `${manifest.bucket}-${manifest.prefix}`
        : 'items';
  return `${idFragment(name, 30)}-${stableHash(JSON.stringify([manifest, output]))}`;
}

export function batchWorkflowId(batchId: string): string {
  return `vsr-batch-${batchId}`;
}

export interface StartOptions {
  /**
   * The caller's idempotency key: the same key always maps to the same workflow id, so a retried start
   * joins the running (or finished) workflow instead of paying for another job. Defaults to a hash of the input.
   */
  key?: string;
  taskQueue?: string;
}

export class VsrClient {
  constructor(
    readonly client: Client,
    readonly taskQueue = DEFAULT_TASK_QUEUE,
  ) {}

  /** Starts the workflow, or returns the handle of the one already started for the same key. */
  async start(input: SuperResolveInput, o: StartOptions = {}): Promise<WorkflowHandle> {
    this.refuseCredentialsInPlainText(input);
    const workflowId = workflowIdFor(input, o.key);
    try {
      return await this.client.workflow.start(WORKFLOW_TYPE, {
        workflowId,
        taskQueue: o.taskQueue ?? this.taskQueue,
        args: [input],
        // A finished success is never redone under the same key; a failed one may be retried.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        memo: {
          source: describeLocation(input.source),
          destination: describeLocation(input.destination),
          bitRateMbps: input.bitRateMbps ?? BIT_RATE_MBPS.default,
        },
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return this.client.workflow.getHandle(workflowId);
      throw err;
    }
  }

  /**
   * Inputs are stored in workflow history: a URL carrying credentials (a signature, a token, a password) may enter
   * it only encrypted, i.e. when this client encrypts payloads (VSR_PAYLOAD_KEY). Otherwise the start is refused.
   */
  private refuseCredentialsInPlainText(input: SuperResolveInput): void {
    if (input.source.kind !== 'url' || this.client.options.loadedDataConverter.payloadCodecs.length > 0) return;
    const credentials = urlCredentials(input.source.url);
    if (credentials)
      throw ApplicationFailure.nonRetryable(
        `source.url ${redactUrl(input.source.url)} carries ${credentials}, which would be stored in workflow history in plain text; set VSR_PAYLOAD_KEY (payload encryption) for clients and workers, or give the video as oss://bucket/key`,
        ErrorTypes.InvalidSource,
      );
  }

  /** Starts a batch, or joins it if one with the same id is running; a finished batch may run again (done videos are skipped). */
  async startBatch(input: BatchInput, o: { taskQueue?: string } = {}): Promise<WorkflowHandle> {
    const workflowId = batchWorkflowId(input.batchId);
    return this.client.workflow.start(BATCH_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: o.taskQueue ?? this.taskQueue,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      memo: {
        manifest: input.manifest.kind === 'items' ? `${input.manifest.items.length} items` : JSON.stringify(input.manifest),
        output: JSON.stringify(input.output),
      },
    });
  }

  batchProgress(workflowId: string): Promise<BatchProgress> {
    return this.client.workflow.getHandle(workflowId).query(batchProgressQuery);
  }

  batchResult(workflowId: string): Promise<BatchSummary> {
    return this.client.workflow.getHandle(workflowId).result() as Promise<BatchSummary>;
  }

  progress(workflowId: string): Promise<Progress> {
    return this.client.workflow.getHandle(workflowId).query(progressQuery);
  }

  async cancel(workflowId: string): Promise<void> {
    await this.client.workflow.getHandle(workflowId).cancel();
  }

  result(workflowId: string): Promise<SuperResolveResult> {
    return this.client.workflow.getHandle(workflowId).result() as Promise<SuperResolveResult>;
  }

  async status(workflowId: string): Promise<{ status: string; progress?: Progress; result?: SuperResolveResult; failure?: string }> {
    const handle = this.client.workflow.getHandle(workflowId);
    const description = await handle.describe();
    const status = description.status.name;
    const progress = await handle.query(progressQuery).catch(() => undefined);
    if (status === 'COMPLETED') return { status, progress, result: (await handle.result()) as SuperResolveResult };
    if (status === 'RUNNING') return { status, progress };
    const failure = await handle.result().then(
      () => undefined,
      (err: unknown) => failureMessage(err),
    );
    return { status, progress, failure };
  }
}
