// The workflow bundle, built once with the code (`npm run build`) so a worker starts without running webpack.
// A worker uses it only while it is newer than every compiled workflow module and the installed SDK.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleOption } from '@temporalio/worker';

export const WORKFLOWS_PATH = path.join(__dirname, '..', 'workflows', 'index.js');
export const WORKFLOW_BUNDLE_PATH = path.join(__dirname, '..', 'workflow-bundle.js');
const INSTALLED_PACKAGES = path.join(__dirname, '..', '..', 'node_modules', '.package-lock.json');
const PACKAGE_JSON = path.join(__dirname, '..', '..', 'package.json');

/**
 * Bundled with the workflows, always: vsr's job metrics and OpenTelemetry's workflow spans (whose sink drops
 * them while tracing is off), so one bundle serves every configuration and its hash names the code.
 */
export const WORKFLOW_INTERCEPTOR_MODULES = [
  path.join(__dirname, '..', 'workflows', 'interceptors.js'),
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
];

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

/** Bundles the workflows with their interceptors: what `npm run build` writes, and the fallback when that is stale. */
export async function bundleWorkflows(workflowsPath = WORKFLOWS_PATH): Promise<{ code: string }> {
  return bundleWorkflowCode({
    workflowsPath,
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    logger: new DefaultLogger('WARN'),
    // Stack traces still name each frame's TypeScript file and line, but the map carries no sources and no
    // columns: the SDK parses it in every worker, and the full one (2.3 MB) cost an idle worker 29 MiB of RSS.
    webpackConfigHook: (config) => ({ ...config, devtool: 'inline-nosources-cheap-module-source-map' }),
  });
}

/** The pre-built bundle, or one made now. */
export async function workflowBundle(): Promise<WorkflowBundleOption> {
  return prebuiltWorkflowBundle() ?? (await bundleWorkflows());
}

/**
 * The default build id: the package version and the workflow bundle's hash (`0.1.0-3f2a9c81d0e4`), so the same
 * workflow code gets the same id on every host, and changed workflow code a new one.
 */
export async function defaultBuildId(bundle: WorkflowBundleOption): Promise<string> {
  const code = 'code' in bundle ? bundle.code : await fs.promises.readFile(bundle.codePath);
  const { version } = JSON.parse(await fs.promises.readFile(PACKAGE_JSON, 'utf8')) as { version: string };
  return `${version}-${createHash('sha256').update(code).digest('hex').slice(0, 12)}`;
}

export async function buildWorkflowBundle(): Promise<void> {
  const { code } = await bundleWorkflows();
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
