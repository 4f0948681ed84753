// Workflow-level metrics (jobs started, succeeded, failed by error type; stage durations; the submit lane's
// attempts, replies and wait) and the lane's place in each video's trace, as workflow interceptors, so the
// workflows themselves carry no instrumentation. Bundled with the workflows (workers/bundle.ts), before
// OpenTelemetry's own interceptors; the SDK's workflow metricMeter records nothing while history is replayed.
import { context } from '@opentelemetry/api';
import type { Headers } from '@temporalio/common';
import { extractContextFromHeaders, TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import {
  ContinueAsNew,
  isCancellation,
  metricMeter,
  workflowInfo,
  type ActivityInput,
  type Next,
  type SignalInput,
  type SignalWorkflowInput,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptors,
  type WorkflowInterceptorsFactory,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import type {
  ProviderSubmitInput,
  ProviderSubmitOutcome,
  SubmitInOrderInput,
  SubmitInOrderResult,
  SubmitOutcomeSignal,
} from '../activities/types';
import type { SuperResolveResult } from './contract';
import { innermostCause } from './failureMessage';
import { METRICS } from './metrics';
import {
  LANE_WORKFLOW_TYPE,
  SUBMIT_OUTCOME_SIGNAL,
  SUBMIT_REPLY_SIGNAL,
  SUBMIT_REQUEST_SIGNAL,
  WITHDRAW_SUBMIT_SIGNAL,
  type SubmitReply,
  type SubmitRequest,
} from './submitLaneContract';

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

/**
 * The submit lane, observed from its messages and calls: each request's wait until its reply, every attempt's
 * outcome, every reply's outcome. For traces, a request's submit attempts, listings and reply run in the context
 * its request signal carried, so they join that video's trace; the lane's run itself (long, shared by many
 * videos) starts a trace of its own instead of joining the first requester's.
 */
class LaneObserver implements WorkflowInboundCallsInterceptor, WorkflowOutboundCallsInterceptor {
  private readonly lane = { lane: workflowInfo().workflowId };
  /** Requests waiting for their reply: when they arrived and the trace context they came with. */
  private readonly waiting = new Map<string, { at: number; headers: Headers; source: string }>();
  /** Whose submit is in flight (the lane makes one at a time): its listings belong to it too. */
  private current?: string;
  /** The requests of the submitInOrder call under way, and how many of their outcomes have arrived. */
  private call: string[] = [];
  private recorded = 0;

  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const { [TRACE_HEADER]: _firstRequester, ...headers } = input.headers;
    return next({ ...input, headers });
  }

  async handleSignal(input: SignalInput, next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>): Promise<void> {
    const { requestId, providerSource } = (input.args[0] ?? {}) as Partial<SubmitRequest>;
    if (requestId && input.signalName === SUBMIT_REQUEST_SIGNAL && !this.waiting.has(requestId))
      this.waiting.set(requestId, { at: Date.now(), headers: input.headers, source: JSON.stringify(providerSource) });
    if (requestId && input.signalName === WITHDRAW_SUBMIT_SIGNAL) this.waiting.delete(requestId);
    if (input.signalName === SUBMIT_OUTCOME_SIGNAL) {
      const { outcome } = input.args[0] as SubmitOutcomeSignal;
      if (this.call[this.recorded] === requestId) this.current = this.call[++this.recorded];
      metricMeter.createCounter(METRICS.laneAttempts).add(1, { ...this.lane, outcome: outcome.outcome });
    }
    return next(input);
  }

  async scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>): Promise<unknown> {
    if (input.activityType === 'submitToProvider') {
      // The lane sends what the request asked for: the request is the waiting one with that source.
      const source = JSON.stringify((input.args[0] as ProviderSubmitInput).providerSource);
      this.current = [...this.waiting].find(([, w]) => w.source === source)?.[0];
      const attempts = metricMeter.createCounter(METRICS.laneAttempts);
      try {
        const outcome = (await this.inRequestContext(this.current, () => next(input))) as ProviderSubmitOutcome;
        attempts.add(1, { ...this.lane, outcome: outcome.outcome });
        return outcome;
      } catch (err) {
        attempts.add(1, { ...this.lane, outcome: 'ambiguous' }); // the worker was lost mid-call: the lane reconciles
        throw err;
      }
    }
    if (input.activityType === 'submitInOrder') {
      // Several requests' sends: the call runs in its first request's context; outcomes arrive as signals (above).
      this.call = (input.args[0] as SubmitInOrderInput).requests.map((r) => r.requestId);
      this.recorded = 0;
      this.current = this.call[0];
      const attempts = metricMeter.createCounter(METRICS.laneAttempts);
      try {
        const end = (await this.inRequestContext(this.current, () => next(input))) as SubmitInOrderResult;
        if (end.stopped) attempts.add(1, { ...this.lane, outcome: end.stopped.outcome });
        return end;
      } catch (err) {
        if (this.recorded < this.call.length) attempts.add(1, { ...this.lane, outcome: 'ambiguous' }); // the lane reconciles
        throw err;
      }
    }
    if (input.activityType === 'listProviderJobs') return this.inRequestContext(this.current, () => next(input));
    return next(input);
  }

  async signalWorkflow(input: SignalWorkflowInput, next: Next<WorkflowOutboundCallsInterceptor, 'signalWorkflow'>): Promise<void> {
    if (input.signalName !== SUBMIT_REPLY_SIGNAL) return next(input);
    const reply = input.args[0] as SubmitReply;
    const waited = this.waiting.get(reply.requestId);
    const outcome = 'error' in reply ? reply.error.type : reply.adopted ? 'adopted' : 'accepted';
    metricMeter.createCounter(METRICS.laneReplies).add(1, { ...this.lane, outcome });
    // A job whose answer was lost is billed all the same: only the lane learns of it (the provider decorator counts the rest).
    if (outcome === 'adopted') metricMeter.createCounter(METRICS.billableJobs).add(1, this.lane);
    if (!waited) return next(input); // a request carried over from the previous run: its arrival is not known here
    this.waiting.delete(reply.requestId);
    metricMeter
      .createHistogram(METRICS.laneWait, 'float', 's', 'From the lane receiving a request to its reply')
      .record(Math.max(0, Date.now() - waited.at) / 1000, this.lane);
    return inContext(waited.headers, () => next(input));
  }

  private inRequestContext<T>(requestId: string | undefined, fn: () => Promise<T>): Promise<T> {
    return inContext(requestId ? this.waiting.get(requestId)?.headers : undefined, fn);
  }
}

/** Runs fn in the trace context the headers carry (the OpenTelemetry interceptors inside it parent their spans on it). */
function inContext<T>(headers: Headers | undefined, fn: () => Promise<T>): Promise<T> {
  const ctx = headers && extractContextFromHeaders(headers);
  return ctx ? context.with(ctx, fn) : fn();
}

export const interceptors: WorkflowInterceptorsFactory = (): WorkflowInterceptors => {
  if (workflowInfo().workflowType !== LANE_WORKFLOW_TYPE) return { inbound: [new JobMetrics()] };
  const lane = new LaneObserver();
  return { inbound: [lane], outbound: [lane] };
};
