// `vsr schedule create|list|describe|pause|unpause|trigger|backfill|delete`: batch re-runs on Temporal Schedules.
import type { Duration } from '@temporalio/common';
import { loadConfig } from '../../../config';
import { batchIdFor } from '../../../client';
import { BatchSchedules, OVERLAP_NAMES, overlapPolicy, type OverlapName } from '../../../client/schedules';
import { bitRateFlag, concurrencyFlag, parseArgs, strFlag, UsageError, type Parsed } from '../args';
import { openSession } from '../connect';
import { resolveBatchTarget } from './batch';

const USAGE = `usage:
  vsr schedule create <id> <folder|manifest|oss://bucket/prefix> (--every 1h | --cron "0 3 * * *")
                      [--overlap ${OVERLAP_NAMES.join('|')}] [--catchup 10m] [--out DIR|oss://b/p]
                      [--concurrency N] [--bitrate N] [--paused]
  vsr schedule list
  vsr schedule describe|pause|unpause|trigger|delete <id>
  vsr schedule backfill <id> --from ISO-TIME --to ISO-TIME`;

function duration(p: Parsed, name: string): Duration | undefined {
  const v = strFlag(p, name);
  if (v !== undefined && !/^\d+(ms|s|m|h|d)$/.test(v)) throw new UsageError(`--${name} ${v} must be a duration such as 90s, 15m, 1h or 1d`);
  return v as Duration | undefined;
}

function overlap(p: Parsed, name = 'overlap'): OverlapName | undefined {
  const v = strFlag(p, name);
  if (v !== undefined && !OVERLAP_NAMES.includes(v as OverlapName))
    throw new UsageError(`--${name} ${v} must be one of ${OVERLAP_NAMES.join(', ')}`);
  return v as OverlapName | undefined;
}

function time(p: Parsed, name: string): Date {
  const v = strFlag(p, name);
  const t = v ? new Date(v) : undefined;
  if (!t || Number.isNaN(t.getTime())) throw new UsageError(`--${name} must be an ISO-8601 time, e.g. 2026-11-26T00:00:00Z`);
  return t;
}

export async function scheduleCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const p = parseArgs(rest, ['every', 'cron', 'overlap', 'catchup', 'out', 'concurrency', 'bitrate', 'from', 'to', 'note'], ['paused']);
  const id = p.positionals[0];
  if (!sub || (sub !== 'list' && !id)) throw new UsageError(USAGE);
  const config = loadConfig();
  const session = await openSession(config, false);
  try {
    const schedules = new BatchSchedules(session.client, config.taskQueue);
    switch (sub) {
      case 'create': {
        if (!p.positionals[1]) throw new UsageError(USAGE);
        const { manifest, output } = resolveBatchTarget(p.positionals[1], strFlag(p, 'out'));
        await schedules.create({
          scheduleId: id,
          batch: {
            batchId: batchIdFor(manifest, output),
            manifest,
            output,
            concurrency: concurrencyFlag(p),
            bitRateMbps: bitRateFlag(p),
          },
          every: duration(p, 'every'),
          cron: strFlag(p, 'cron'),
          overlap: overlap(p),
          catchupWindow: duration(p, 'catchup'),
          paused: p.flags.has('paused'),
        });
        console.error(`[vsr] schedule ${id} created`);
        return 0;
      }
      case 'list':
        console.log(JSON.stringify(await schedules.list(), null, 2));
        return 0;
      case 'describe': {
        const d = await schedules.describe(id);
        console.log(
          JSON.stringify(
            {
              scheduleId: id,
              paused: d.state.paused,
              note: d.state.note,
              spec: d.spec,
              overlap: d.policies.overlap,
              catchupWindowMs: d.policies.catchupWindow,
              actionsTaken: d.info.numActionsTaken,
              recent: d.info.recentActions.map((a) => ({ at: a.takenAt, workflowId: a.action.workflow.workflowId })),
              next: d.info.nextActionTimes,
            },
            null,
            2,
          ),
        );
        return 0;
      }
      case 'pause':
        await schedules.handle(id).pause(strFlag(p, 'note'));
        return 0;
      case 'unpause':
        await schedules.handle(id).unpause(strFlag(p, 'note'));
        return 0;
      case 'trigger':
        await schedules.handle(id).trigger(overlap(p) ? overlapPolicy(overlap(p) as OverlapName) : undefined);
        return 0;
      case 'backfill':
        await schedules.backfill(id, time(p, 'from'), time(p, 'to'), overlap(p));
        return 0;
      case 'delete':
        await schedules.handle(id).delete();
        return 0;
      default:
        throw new UsageError(`unknown schedule command ${sub}\n${USAGE}`);
    }
  } finally {
    await session.stop();
  }
}
