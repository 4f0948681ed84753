// Reaching the account's submit lane from a pipeline: signal-with-start, so the first request starts the lane
// and later ones join it, from any worker on any host.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { submitLaneId } from '../workflows/ids';
import { LANE_WORKFLOW_TYPE, SUBMIT_REQUEST_SIGNAL, WITHDRAW_SUBMIT_SIGNAL, type SubmitRequest } from '../workflows/submitLaneContract';
import { ErrorTypes } from '../workflows/contract';
import type { ActivityDeps } from './deps';
import { finalError } from './failures';

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
