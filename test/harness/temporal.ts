// An ephemeral real Temporal dev server (the pinned CLI) for tests, plus the pre-built workflow bundle.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type WorkflowBundleOption } from '@temporalio/worker';
import { findTemporalCli, temporalCliVersion } from '../../app/embedded/tools';
import { SEARCH_ATTRIBUTES } from '../../workflows/searchAttributes';
import { workflowBundle as builtOrFresh } from '../../workers/bundle';

let runtimeInstalled = false;

/** Expected workflow and activity failures would flood the log at WARN. */
export function installTestRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  runtimeInstalled = true;
}

export async function startTemporal(): Promise<TestWorkflowEnvironment> {
  installTestRuntime();
  const cli = findTemporalCli();
  if (!cli) throw new Error('no Temporal CLI: run `npm run setup` (it builds the pinned one) or set TEMPORAL_CLI');
  // CI greps this line: which real server the tests ran against.
  console.log(`# temporal dev server: ${cli} (${temporalCliVersion(cli)})`);
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli },
      ip: '127.0.0.1',
      searchAttributes: SEARCH_ATTRIBUTES.map((a) => a.key),
      extraArgs: ['--log-level', 'error'],
    },
  });
}

let bundle: Promise<WorkflowBundleOption> | undefined;
/** The build's pre-built bundle; after a bare `tsc`, one bundled here, once per test process. */
export function workflowBundle(): Promise<WorkflowBundleOption> {
  bundle ??= builtOrFresh();
  return bundle;
}
