// "Version B" of the workflows, for the versioning test: the same pipeline behind a new first timer (a change
// that breaks the replay of any run started on version A) and with a marker in its result; the submit lane as in A.
import { sleep } from '@temporalio/workflow';
import type { SuperResolveInput, SuperResolveResult } from '../../workflows/contract';
import { superResolveVideo as versionA, type CarriedState } from '../../workflows/superResolve';

export { vsrBatch } from '../../workflows/batch';
export { submitLane } from '../../workflows/submitLane';

export async function superResolveVideo(
  input: SuperResolveInput,
  carried?: CarriedState,
): Promise<SuperResolveResult & { codeVersion: 'B' }> {
  await sleep(1);
  return { ...(await versionA(input, carried)), codeVersion: 'B' };
}
