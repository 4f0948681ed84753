// Activity-side observation as a Temporal activity interceptor: every log line an activity writes carries its
// stage and, once known, the provider's job id; completed downloads are measured.
import type { Context } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Stage } from '../../workflows/contract';
import type { VsrMetrics } from './metrics';

/** The pipeline stage each activity belongs to (batch bookkeeping is its own). */
const STAGE_OF: Record<string, Stage | 'batch'> = {
  validateInput: 'validating',
  uploadSource: 'uploading',
  requestSubmit: 'submitting',
  withdrawSubmit: 'submitting',
  // The submit lane's calls: the stage of the video they are made for.
  submitToProvider: 'submitting',
  submitInOrder: 'submitting',
  listProviderJobs: 'submitting',
  cancelJob: 'cleaning-up',
  pollJob: 'polling',
  downloadResult: 'downloading',
  removeTemporaryObjects: 'cleaning-up',
  removePartialOutput: 'cleaning-up',
};

function jobIdIn(v: unknown): string | undefined {
  const id = (v as { jobId?: unknown } | undefined)?.jobId;
  return typeof id === 'string' && id ? id : undefined;
}

function sizeIn(v: unknown): number {
  const n = (v as { sizeBytes?: unknown } | undefined)?.sizeBytes;
  return typeof n === 'number' ? n : 0;
}

export function activityTelemetry(m: VsrMetrics): ActivityInterceptorsFactory {
  return (ctx: Context) => {
    const type = ctx.info.activityType;
    let jobId: string | undefined;
    return {
      inbound: {
        async execute(input, next) {
          jobId = jobIdIn(input.args[0]);
          const started = performance.now();
          const result = await next(input);
          jobId ??= jobIdIn(result);
          if (type === 'downloadResult') m.downloadedBytes.add(sizeIn(result));
          // The SDK logs failures itself (WARN); one INFO line per finished stage attempt completes the story.
          ctx.log.info('activity completed', { durationMs: Math.round(performance.now() - started) });
          return result;
        },
      },
      outbound: {
        getLogAttributes(input, next) {
          return next({ ...input, stage: STAGE_OF[type] ?? 'batch', ...(jobId ? { jobId } : {}) });
        },
      },
    };
  };
}
