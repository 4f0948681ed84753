// Batch re-runs on Temporal Schedules: each scheduled run picks up what is new since the last clean run.
import type { Duration } from '@temporalio/common';
import { ScheduleOverlapPolicy, type Client, type ScheduleDescription, type ScheduleHandle } from '@temporalio/client';
import type { BatchInput } from '../workflows/batchContract';
import { BATCH_WORKFLOW_TYPE } from '../workflows/batchContract';
import { DEFAULT_TASK_QUEUE } from '../workflows/contract';
import { batchWorkflowId } from './index';

export type OverlapName = 'skip' | 'buffer_one' | 'buffer_all' | 'cancel_other' | 'terminate_other' | 'allow_all';
export const OVERLAP_NAMES: OverlapName[] = ['skip', 'buffer_one', 'buffer_all', 'cancel_other', 'terminate_other', 'allow_all'];

export function overlapPolicy(name: OverlapName): ScheduleOverlapPolicy {
  return ScheduleOverlapPolicy[name.toUpperCase() as keyof typeof ScheduleOverlapPolicy];
}

export interface BatchScheduleOptions {
  scheduleId: string;
  batch: Omit<BatchInput, 'sinceLastSuccess'>;
  /** An interval such as '1h' or '15m', or a cron expression. */
  every?: Duration;
  cron?: string;
  overlap?: OverlapName;
  /** How far back missed runs are caught up after an outage, e.g. '10m'. */
  catchupWindow?: Duration;
  paused?: boolean;
  taskQueue?: string;
}

export class BatchSchedules {
  constructor(
    private readonly client: Client,
    private readonly taskQueue = DEFAULT_TASK_QUEUE,
  ) {}

  async create(o: BatchScheduleOptions): Promise<ScheduleHandle> {
    if (!o.every === !o.cron) throw new Error('a schedule needs exactly one of every (e.g. 1h) or cron (e.g. "0 3 * * *")');
    return this.client.schedule.create({
      scheduleId: o.scheduleId,
      spec: o.cron ? { cronExpressions: [o.cron] } : { intervals: [{ every: o.every as Duration }] },
      action: {
        type: 'startWorkflow',
        workflowType: BATCH_WORKFLOW_TYPE,
        workflowId: batchWorkflowId(o.batch.batchId),
        taskQueue: o.taskQueue ?? this.taskQueue,
        args: [{ ...o.batch, sinceLastSuccess: true } satisfies BatchInput],
      },
      policies: { overlap: overlapPolicy(o.overlap ?? 'skip'), catchupWindow: o.catchupWindow ?? '10m' },
      state: { paused: o.paused ?? false, note: o.paused ? 'created paused' : undefined },
      memo: { batchId: o.batch.batchId },
    });
  }

  handle(scheduleId: string): ScheduleHandle {
    return this.client.schedule.getHandle(scheduleId);
  }

  describe(scheduleId: string): Promise<ScheduleDescription> {
    return this.handle(scheduleId).describe();
  }

  async list(): Promise<Array<{ scheduleId: string; paused: boolean; next?: string; workflowType?: string }>> {
    const out = [];
    for await (const s of this.client.schedule.list()) {
      out.push({
        scheduleId: s.scheduleId,
        paused: s.state.paused,
        next: s.info.nextActionTimes[0]?.toISOString(),
        workflowType: s.action?.type === 'startWorkflow' ? s.action.workflowType : undefined,
      });
    }
    return out;
  }

  /** Runs the schedule's action for every time the spec names in [from, to], e.g. after an outage. */
  backfill(scheduleId: string, from: Date, to: Date, overlap: OverlapName = 'allow_all'): Promise<void> {
    if (!(from < to)) throw new Error(`backfill --from ${from.toISOString()} must be before --to ${to.toISOString()}`);
    return this.handle(scheduleId).backfill({ start: from, end: to, overlap: overlapPolicy(overlap) });
  }
}
