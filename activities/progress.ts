// Heartbeats with resume details, plus throttled progress reports to the workflow.
import { Context } from '@temporalio/activity';
import type { ActivityDeps } from './deps';
import type { TransferProgress } from './types';

export class TransferReporter {
  private lastReport = 0;
  private lastDetails: unknown;
  constructor(
    private readonly deps: ActivityDeps,
    private readonly workflowId: string,
    private readonly stage: TransferProgress['stage'],
    private readonly bytesTotal: number,
  ) {}

  /** Heartbeats every call (cheap: the SDK throttles); reports to the workflow at most every interval, and at the end. */
  update(bytesDone: number, details: unknown): void {
    this.lastDetails = details;
    Context.current().heartbeat(details);
    const now = Date.now();
    const final = bytesDone >= this.bytesTotal;
    if (!final && now - this.lastReport < (this.deps.progressIntervalMs ?? 2000)) return;
    this.lastReport = now;
    // Progress is advisory: a lost report must never fail the transfer.
    this.deps.reportProgress(this.workflowId, { stage: this.stage, bytesDone, bytesTotal: this.bytesTotal }).catch(() => undefined);
  }

  /** Heartbeats again with the last details (a bare heartbeat would drop the resume point). */
  keepAlive(): void {
    Context.current().heartbeat(this.lastDetails);
  }
}
