// Reaching the account's submit lane from a pipeline: signal-with-start, so the first request starts the lane
// and later ones join it, from any worker on any host.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { submitLaneId } from '../workflows/ids';
import {
  LANE_WORKFLOW_TYPE,
  SUBMIT_OUTCOME_SIGNAL,
  SUBMIT_REQUEST_SIGNAL,
  WITHDRAW_SUBMIT_SIGNAL,
  type SubmitRequest,
} from '../workflows/submitLaneContract';
import { ErrorTypes } from '../workflows/contract';
import type { ActivityDeps } from './deps';
import { finalError } from './failures';
import type { SubmitOutcomeSignal } from './types';

export function makeLane(deps: ActivityDeps) {
  async function laneId(): Promise<string> {
    try {
      return submitLaneId(await deps.account());
    } catch (err) {
      // A configuration problem (which account is this?): retrying cannot help.
      throw finalError(ErrorTypes.ProviderAuth, `cannot name the provider account: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async function signalLane(signal: string, arg: unknown): Promise<void> {
    const ctx = Context.current();
    const client: Client = deps.temporal ?? ctx.client;
    await client.workflow.signalWithStart(LANE_WORKFLOW_TYPE, {
      workflowId: await laneId(),
      taskQueue: ctx.info.taskQueue,
      args: [],
      signal,
      signalArgs: [arg],
    });
  }

  return {
    /** Queues a request (a repeated one is ignored by the lane); the reply comes as a signal to the requester. */
    requestSubmit: (request: SubmitRequest) => signalLane(SUBMIT_REQUEST_SIGNAL, request),
    /** The requester no longer wants the job: dropped if not yet sent, cancelled while waiting if it was. */
    withdrawSubmit: (input: { requestId: string }) => signalLane(WITHDRAW_SUBMIT_SIGNAL, input),
  };
}

/** What the lane's own submit activity needs of the lane that started it (README, "Never paying twice"). */
export interface LaneLink {
  /** Signals one send's outcome to the lane run that started this activity; resolves once the server accepted it. */
  record(outcome: SubmitOutcomeSignal): Promise<void>;
  /** Rejects unless the server still counts this activity as running (it times out a call whose worker stalled). */
  confirmRunning(): Promise<void>;
}

export function laneLink(deps: Pick<ActivityDeps, 'temporal'>): LaneLink {
  const client = (): Client => deps.temporal ?? Context.current().client;
  return {
    async record(outcome) {
      const lane = Context.current().info.workflowExecution;
      if (!lane) throw new Error('submit outcomes go to the lane workflow that started this activity: none did');
      const { workflowId, runId } = lane;
      await client().workflow.getHandle(workflowId, runId).signal(SUBMIT_OUTCOME_SIGNAL, outcome);
    },
    // A heartbeat by task token is answered by the server: NotFound once it has timed the activity out.
    confirmRunning: () => client().activity.heartbeat(Context.current().info.taskToken),
  };
}
