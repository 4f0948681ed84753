// Workflow-level metrics (jobs started, succeeded, failed by error type; stage durations) as a workflow
// interceptor, so the workflows themselves carry no instrumentation. Bundled with the workflows
// (workers/bundle.ts); the SDK's workflow metricMeter records nothing while history is replayed.
import {
  ContinueAsNew,
  isCancellation,
  metricMeter,
  workflowInfo,
  type Next,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';
import type { SuperResolveResult } from './contract';
import { innermostCause } from './failureMessage';
import { METRICS } from './metrics';

/** The failure's stable type: the innermost ApplicationFailure type, or what kind of ending it was. */
function errorType(err: unknown): string {
  if (isCancellation(err)) return 'Cancelled';
  const cause = innermostCause(err);
  return cause?.type || cause?.name || 'Error';
}

function recordStageTimings(result: unknown): void {
  const timings = (result as Partial<SuperResolveResult> | undefined)?.timings;
  if (!timings || typeof timings !== 'object') return;
  const histogram = metricMeter.createHistogram(METRICS.stageDuration, 'float', 's', 'Time a successful video spent in each stage');
  for (const [stage, ms] of Object.entries(timings)) if (typeof ms === 'number') histogram.record(ms / 1000, { stage });
}

class JobMetrics implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    // A run continued-as-new is the same job going on, not a new one.
    if (workflowInfo().continuedFromExecutionRunId === undefined) metricMeter.createCounter(METRICS.jobsStarted).add(1);
    try {
      const result = await next(input);
      metricMeter.createCounter(METRICS.jobsSucceeded).add(1);
      recordStageTimings(result);
      return result;
    } catch (err) {
      if (!(err instanceof ContinueAsNew)) metricMeter.createCounter(METRICS.jobsFailed).add(1, { errorType: errorType(err) });
      throw err;
    }
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new JobMetrics()] });
