// The workflow bundle, built once with the code (`npm run build`) so a worker starts without running webpack.
// A worker uses it only while it is newer than every compiled workflow module and the installed SDK.
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleOption } from '@temporalio/worker';

export const WORKFLOWS_PATH = path.join(__dirname, '..', 'workflows', 'index.js');
export const WORKFLOW_BUNDLE_PATH = path.join(__dirname, '..', 'workflow-bundle.js');
const INSTALLED_PACKAGES = path.join(__dirname, '..', '..', 'node_modules', '.package-lock.json');

function mtime(file: string): number {
  return fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0;
}

/** The pre-built bundle, or undefined when it is missing or older than what it was built from. */
export function prebuiltWorkflowBundle(): WorkflowBundleOption | undefined {
  const dir = path.dirname(WORKFLOWS_PATH);
  const inputs = [...fs.readdirSync(dir).map((f) => path.join(dir, f)), INSTALLED_PACKAGES];
  const built = mtime(WORKFLOW_BUNDLE_PATH);
  return built > Math.max(...inputs.map(mtime)) ? { codePath: WORKFLOW_BUNDLE_PATH } : undefined;
}

export async function buildWorkflowBundle(): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  // Written whole, then renamed: a worker starting meanwhile never reads half a bundle.
  fs.writeFileSync(`${WORKFLOW_BUNDLE_PATH}.${process.pid}`, code);
  fs.renameSync(`${WORKFLOW_BUNDLE_PATH}.${process.pid}`, WORKFLOW_BUNDLE_PATH);
}

if (require.main === module) {
  buildWorkflowBundle().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
