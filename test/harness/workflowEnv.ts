// Workflow tests: the real workflow code on Temporal's time-skipping test server, with stub activities.
// Timers (poll back-off, resubmit delays, deadlines) pass in no real time while a test awaits a result.
import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { Context } from '@temporalio/activity';
import { WorkflowClient, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { MockActivityEnvironment, TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Worker } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';
import { findTestServer } from '../../app/embedded/tools';
import { submitTaskQueue } from '../../workflows/contract';
import { innermostCause } from '../../workflows/failureMessage';
import { SEARCH_ATTRIBUTES } from '../../workflows/searchAttributes';
import { tracingSinks } from '../../workers/telemetry/tracing';
import { installTestRuntime, workflowBundle } from './temporal';

export type Activities = ReturnType<typeof createActivities>;

export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  installTestRuntime();
  const server = findTestServer();
  if (!server) throw new Error('no Temporal test server: run `node bin/vsr.js setup --test-server` or set TEMPORAL_TEST_SERVER');
  // The SDK gives the server 5 s to answer; a JVM on a busy 2-core machine can miss that (three times in a row at a
  // load of 18), so try again.
  let env: TestWorkflowEnvironment | undefined;
  for (let attempt = 1; !env; attempt++) {
    try {
      env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: server } } });
    } catch (err) {
      if (attempt >= 6) throw err;
    }
  }
  // The workflows set vsr's search attributes; the test server knows only those registered with it.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      SEARCH_ATTRIBUTES.map((a) => [a.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
    ),
  });
  return env;
}

/** Every activity name the worker registers (the factory only captures its deps, so empty ones will do). */
const ACTIVITY_NAMES = Object.keys(createActivities({} as ActivityDeps)) as Array<keyof Activities>;

/**
 * Workers on both task queues (main and submit) for a whole test file; each test plugs in its own stub
 * activities with `use()`, so no test pays for starting and stopping workers.
 */
export class StubWorkers {
  private current: Partial<Activities> = {};
  private constructor(
    readonly taskQueue: string,
    private readonly stop: () => Promise<void>,
  ) {}

  static async start(env: TestWorkflowEnvironment): Promise<StubWorkers> {
    const taskQueue = `wf-${randomUUID()}`;
    let workers: StubWorkers | undefined = undefined;
    const activities = Object.fromEntries(
      ACTIVITY_NAMES.map((name) => [
        name,
        (input: unknown) => {
          const fn = workers?.current[name] as ((input: unknown) => Promise<unknown>) | undefined;
          if (!fn) throw new Error(`no stub for activity ${name}`);
          return fn(input);
        },
      ]),
    );
    // Heartbeats carry cancellation to activities: send them at once rather than throttled to seconds.
    // The bundle's tracing interceptors need their sink registered, even while tracing is off.
    const common = { connection: env.nativeConnection, activities, maxHeartbeatThrottleInterval: '50ms', sinks: tracingSinks() } as const;
    const main = await Worker.create({ ...common, taskQueue, workflowBundle: await workflowBundle() });
    const submit = await Worker.create({ ...common, taskQueue: submitTaskQueue(taskQueue) });
    const running = Promise.all([main.run(), submit.run()]);
    workers = new StubWorkers(taskQueue, async () => {
      main.shutdown();
      submit.shutdown();
      await running;
    });
    return workers;
  }

  /** Runs `fn` with these stubs plugged in; `fn` gets the task queue to start workflows on. */
  run<T>(activities: Partial<Activities>, fn: (taskQueue: string) => Promise<T>): Promise<T> {
    this.current = activities;
    return fn(this.taskQueue);
  }

  close(): Promise<void> {
    return this.stop();
  }
}

/** Each test's limit: a hang fails the test in minutes instead of holding CI until its own timeout. */
export const TEST_LIMIT = { timeout: 2 * 60_000 } as const;

/**
 * The results (or failures) of workflows run side by side, with time skipping unlocked once while all are awaited.
 * The test server's skipping lock is a counter, and `env.client`'s `result()` unlocks it once per call: two awaited
 * at once unlock it one time too many, so the server skips time while an activity or workflow task is still pending
 * (seen as a lane or pipeline timing out at the test server's default 10-year run timeout, mid-submit).
 */
export async function resultsOf(env: TestWorkflowEnvironment, handles: WorkflowHandleWithFirstExecutionRunId[]): Promise<unknown[]> {
  const plain = new WorkflowClient({ connection: env.connection, namespace: env.namespace });
  const { testService } = env.connection;
  if (!testService) throw new Error('not a time-skipping environment');
  await testService.unlockTimeSkipping({});
  try {
    const ends: Array<Promise<unknown>> = handles.map((h) =>
      plain
        .getHandle(h.workflowId, undefined, { firstExecutionRunId: h.firstExecutionRunId })
        .result()
        .catch((e: unknown) => e),
    );
    return await Promise.all(ends);
  } finally {
    await testService.lockTimeSkipping({});
  }
}

/**
 * A suite's own time-skipping server and stub workers: started before its tests, stopped after them. Suites do not
 * share a server: sharing one (a suite's workers stopped, the next suite's started on the same server) left the
 * next suite's start hanging in about one run in three, right after the batch suite.
 */
export function stubSuite(): { readonly env: TestWorkflowEnvironment; readonly workers: StubWorkers } {
  const suite = {} as { env: TestWorkflowEnvironment; workers: StubWorkers };
  before(async () => {
    suite.env = await startTimeSkipping();
    suite.workers = await StubWorkers.start(suite.env);
  });
  after(async () => {
    await suite.workers?.close();
    await suite.env?.teardown();
  }, TEST_LIMIT);
  return suite;
}

/** Waits until the workflow's history holds `count` events matching `match` (a condition, checked every 20 ms). */
export async function untilEvent(
  handle: WorkflowHandle,
  match: (e: temporal.api.history.v1.IHistoryEvent) => boolean,
  count = 1,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (((await handle.fetchHistory()).events ?? []).filter(match).length < count) {
    if (Date.now() > deadline) throw new Error(`workflow ${handle.workflowId} never reached the awaited event`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves when the returned `open()` is called; for stubs that must wait until a test lets them go on. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** A stub activity body that blocks until the activity is cancelled, heartbeating so it learns of it. */
export async function blockUntilCancelled(entered: () => void): Promise<never> {
  const ctx = Context.current();
  entered();
  const timer = setInterval(() => ctx.heartbeat(), 50);
  try {
    await ctx.cancelled;
  } finally {
    clearInterval(timer);
  }
  throw new Error('unreachable: cancelled rejects');
}

export function userFailure(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** The innermost cause of a workflow failure: what the workflow threw. */
export function rootCause(err: unknown): { type?: string; message?: string; name?: string } {
  return innermostCause(err) ?? {};
}

/** One activity run outside a worker (its context, heartbeats, cancellation), without the SDK's WARN line per expected failure. */
export function activityEnv(info: ConstructorParameters<typeof MockActivityEnvironment>[0] = {}): MockActivityEnvironment {
  return new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') });
}
