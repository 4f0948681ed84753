// An ephemeral real Temporal dev server (the pinned CLI) for tests, plus the pre-built workflow bundle.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundle } from '@temporalio/worker';
import { findTemporalCli, temporalCliVersion } from '../../app/embedded/tools';
import { SEARCH_ATTRIBUTES } from '../../workflows/searchAttributes';
import { WORKFLOWS_PATH } from '../../workers/worker';

let runtimeInstalled = false;

export async function startTemporal(): Promise<TestWorkflowEnvironment> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('ERROR') }); // expected workflow failures would flood the log at WARN
    runtimeInstalled = true;
  }
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

let bundle: Promise<WorkflowBundle> | undefined;
/** Bundled once per test process: each Worker.create would otherwise run webpack again. */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  return bundle;
}
