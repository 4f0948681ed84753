// Heartbeats with resume details, plus throttled progress reports to the workflow.
import { Context } from '@temporalio/activity';
import type { ActivityDeps } from './deps';
import type { TransferProgress } from './types';

export class TransferReporter {
  /** Starts at the transfer's start: a transfer shorter than one interval sends no report at all. */
  private lastReport = Date.now();
  private lastDetails: unknown;
  constructor(
    private readonly deps: ActivityDeps,
    private readonly workflowId: string,
    private readonly stage: TransferProgress['stage'],
    private readonly bytesTotal: number,
  ) {}

  /**
   * Heartbeats every call (cheap: the SDK throttles); reports to the workflow once per interval. No report at the
   * start or the end: each is a signal, so a workflow task and four history events, and the stage that follows
   * the transfer says it finished.
   */
  update(bytesDone: number, details: unknown): void {
    this.lastDetails = details;
    Context.current().heartbeat(details);
    const now = Date.now();
    if (now - this.lastReport < (this.deps.progressIntervalMs ?? 2000)) return;
    this.lastReport = now;
    // Progress is advisory: a lost report must never fail the transfer.
    this.deps.reportProgress(this.workflowId, { stage: this.stage, bytesDone, bytesTotal: this.bytesTotal }).catch(() => undefined);
  }

  /** Heartbeats again with the last details (a bare heartbeat would drop the resume point). */
  keepAlive(): void {
    Context.current().heartbeat(this.lastDetails);
  }
}
