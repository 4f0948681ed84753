// The typed library other services import: start, query, cancel and await vsr workflows.
import { createHash } from 'node:crypto';
import { Client, WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Destination, Progress, Source, SuperResolveInput, SuperResolveResult } from '../workflows/contract';
import { DEFAULT_TASK_QUEUE, WORKFLOW_TYPE } from '../workflows/contract';
import { progressQuery } from '../workflows/signals';

export type { Destination, Progress, Source, SuperResolveInput, SuperResolveResult } from '../workflows/contract';
export { ErrorTypes } from '../workflows/contract';

export interface StartOptions {
  /**
   * The caller's idempotency key: the same key always maps to the same workflow id, so a retried start
   * joins the running (or finished) workflow instead of paying for another job. Defaults to a hash of the input.
   */
  key?: string;
  taskQueue?: string;
}

/** A URL without its query string: signatures and tokens stay out of memos and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\?.*$/, '?…');
}

export function describeSource(s: Source | Destination): string {
  if (s.kind === 'local') return s.path;
  if (s.kind === 'oss') return `oss://${s.bucket}/${s.key}`;
  return redactUrl(s.url);
}

export function workflowIdFor(input: SuperResolveInput, key?: string): string {
  const basis = key ?? JSON.stringify([describeSource(input.source), input.source.kind === 'url' ? input.source.url : '', describeSource(input.destination), input.bitRate ?? 10]);
  const readable = key ? key.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80) : describeSource(input.source).split('/').pop()?.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40);
  return `vsr-${readable}-${createHash('sha256').update(basis).digest('hex').slice(0, 12)}`;
}

export class VsrClient {
  constructor(readonly client: Client, readonly taskQueue = DEFAULT_TASK_QUEUE) {}

  /** Starts the workflow, or returns the handle of the one already started for the same key. */
  async start(input: SuperResolveInput, o: StartOptions = {}): Promise<WorkflowHandle> {
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
          source: describeSource(input.source),
          destination: describeSource(input.destination),
          bitRate: input.bitRate ?? 10,
          provider: input.provider ?? 'worker default',
        },
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return this.client.workflow.getHandle(workflowId);
      throw err;
    }
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
    const failure = await handle.result().then(() => undefined, (err: unknown) => failureMessage(err));
    return { status, progress, failure };
  }
}

/** The innermost cause's message and type: what went wrong, not "workflow execution failed". */
export function failureMessage(err: unknown): string {
  let e = err as { cause?: unknown; message?: string; type?: string } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  const type = e?.type ? `${e.type}: ` : '';
  return `${type}${e?.message ?? String(err)}`;
}
