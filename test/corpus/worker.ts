// The corpus's worker, in its own process so it can run without root's power over file modes (the test starts it
// with setpriv dropping CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH): unreadable files and unwritable folders are then
// real. It runs the real validateInput, configured from the environment like `vsr worker`; every later activity is
// a stub that fails at once with CorpusAccepted, so an accepted input ends the run before anything is uploaded.
import { ApplicationFailure } from '@temporalio/common';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { loadConfig } from '../../config';
import { buildProvider } from '../../workers/providers';
import { safetyDeps } from '../../workers/safety';
import { submitTaskQueue } from '../../workflows/contract';
import { workflowBundle } from '../harness/temporal';

export const ACCEPTED = 'CorpusAccepted';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const config = loadConfig();
  const address = config.temporal.address as string;
  const real = createActivities({
    ...buildProvider(config),
    ...safetyDeps(config),
    workDir: config.workDir,
    now: () => Date.now(),
    reportProgress: async () => undefined,
    temporal: new Client({ connection: await Connection.connect({ address }) }),
  });
  const stub = (name: string) => async () => {
    throw ApplicationFailure.nonRetryable(`validation accepted the input; the run stopped at ${name}`, ACCEPTED);
  };
  const activities = {
    ...Object.fromEntries(Object.keys(real).map((name) => [name, stub(name)])),
    validateInput: real.validateInput,
    // Compensations after the stop have nothing to undo: nothing was made.
    removeTemporaryObjects: async () => ({ objects: 0, uploads: 0, skipped: 0 }),
    removePartialOutput: async () => undefined,
  };
  const connection = await NativeConnection.connect({ address });
  const common = { connection, namespace: config.temporal.namespace, activities };
  const main = await Worker.create({ ...common, taskQueue: config.taskQueue, workflowBundle: await workflowBundle() });
  const submit = await Worker.create({ ...common, taskQueue: submitTaskQueue(config.taskQueue) });
  const running = Promise.all([main.run(), submit.run()]);
  console.log('ready');
  await running;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
