// An ephemeral real Temporal dev server (the pinned CLI) for tests, plus the pre-built workflow bundle.
import fs from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundle } from '@temporalio/worker';
import { findTemporalCli, temporalCliVersion } from '../../app/embedded/tools';
import { SEARCH_ATTRIBUTES } from '../../workflows/searchAttributes';
import { WORKFLOWS_PATH } from '../../workers/worker';

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

let bundle: Promise<WorkflowBundle> | undefined;
/**
 * Bundled once per build, not once per Worker.create: webpack takes seconds, and every test file needs it. The
 * cached bundle is kept beside the compiled workflows and rebuilt when any of them is newer.
 */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= cachedBundle();
  return bundle;
}

async function cachedBundle(): Promise<WorkflowBundle> {
  const dir = path.dirname(WORKFLOWS_PATH);
  const cache = path.join(dir, '..', '.workflow-bundle.js');
  const newest = Math.max(...fs.readdirSync(dir).map((f) => fs.statSync(path.join(dir, f)).mtimeMs));
  if ((fs.statSync(cache, { throwIfNoEntry: false })?.mtimeMs ?? 0) > newest) return { code: fs.readFileSync(cache, 'utf8') };
  const fresh = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  // Written whole, then renamed: test files run one after another, but a reader must never see half a bundle.
  fs.writeFileSync(`${cache}.${process.pid}`, fresh.code);
  fs.renameSync(`${cache}.${process.pid}`, cache);
  return fresh;
}
