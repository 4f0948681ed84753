// `vsr status <id>` and `vsr cancel <id>`.
import { loadConfig } from '../../../config';
import { VsrClient } from '../../../client';
import { parseArgs, UsageError } from '../args';
import { openSession } from '../connect';
import { formatProgress } from '../progressBar';

async function withClient<T>(fn: (vsr: VsrClient) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const session = await openSession(config, false);
  try {
    return await fn(new VsrClient(session.client, config.taskQueue));
  } finally {
    await session.stop();
  }
}

function oneId(argv: string[], command: string): string {
  const p = parseArgs(argv, [], []);
  if (p.positionals.length !== 1) throw new UsageError(`usage: vsr ${command} <workflow-id>`);
  return p.positionals[0];
}

export async function statusCommand(argv: string[]): Promise<number> {
  const id = oneId(argv, 'status');
  return withClient(async (vsr) => {
    const s = await vsr.status(id);
    console.log(JSON.stringify({ workflowId: id, ...s }, null, 2));
    if (s.progress) console.error(formatProgress(s.progress));
    return s.status === 'FAILED' || s.status === 'TERMINATED' || s.status === 'TIMED_OUT' ? 1 : 0;
  });
}

export async function cancelCommand(argv: string[]): Promise<number> {
  const id = oneId(argv, 'cancel');
  return withClient(async (vsr) => {
    await vsr.cancel(id);
    console.error(`[vsr] cancellation requested for ${id}; cleanup runs before it ends`);
    return 0;
  });
}
