// `vsr batch <manifest|folder|oss://bucket/prefix> [--concurrency N] [--force] [--overwrite] [--no-wait] [--out DIR|oss://b/prefix] [--bitrate N]`
import fs from 'node:fs';
import path from 'node:path';
import type { BatchOutput, Manifest } from '../../../workflows/batchContract';
import { loadConfig } from '../../../config';
import { batchIdFor, failureMessage, VsrClient, type BatchInput } from '../../../client';
import { ossUri, parseOssPrefix, upscaledFolderName, withoutExtension } from '../../../workflows/locations';
import { bitRateFlag, concurrencyFlag, parseArgs, strFlag, UsageError } from '../args';
import { openSession, workflowUiLink } from '../connect';

/** Reads the manifest argument and the output folder/prefix (default: a sibling ending in `.x2`). */
export function resolveBatchTarget(text: string, out: string | undefined): { manifest: Manifest; output: BatchOutput } {
  let manifest: Manifest;
  let defaultOut: string;
  const oss = parseOssPrefix(text);
  if (oss) {
    manifest = { kind: 'oss', ...oss };
    defaultOut = ossUri(oss.bucket, `${upscaledFolderName(oss.prefix || 'videos')}/`);
  } else {
    const full = path.resolve(text);
    const stat = fs.statSync(full, { throwIfNoEntry: false });
    if (!stat) throw new UsageError(`batch source ${full} does not exist`);
    manifest = stat.isDirectory() ? { kind: 'folder', path: full } : { kind: 'file', path: full };
    defaultOut = upscaledFolderName(stat.isDirectory() ? full : withoutExtension(full));
  }
  const target = out ?? defaultOut;
  const ossOut = parseOssPrefix(target);
  const output: BatchOutput = ossOut ? { kind: 'oss', ...ossOut } : { kind: 'local', dir: path.resolve(target) };
  return { manifest, output };
}

export async function batchCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['concurrency', 'out', 'bitrate'], ['force', 'overwrite', 'no-wait']);
  if (p.positionals.length !== 1)
    throw new UsageError('usage: vsr batch <manifest.json|manifest.csv|folder|oss://bucket/prefix> [options]');
  const { manifest, output } = resolveBatchTarget(p.positionals[0], strFlag(p, 'out'));
  const input: BatchInput = {
    batchId: batchIdFor(manifest, output),
    manifest,
    output,
    concurrency: concurrencyFlag(p),
    bitRateMbps: bitRateFlag(p),
    force: p.flags.has('force'),
    overwrite: p.flags.has('overwrite') || undefined,
  };
  const config = loadConfig();
  const noWait = p.flags.has('no-wait');
  const session = await openSession(config, !noWait);
  try {
    const vsr = new VsrClient(session.client, config.taskQueue);
    const handle = await vsr.startBatch(input);
    const link = workflowUiLink(session.uiUrl, config.temporal.namespace, handle.workflowId);
    console.error(`[vsr] batch ${handle.workflowId}${link ? `\n[vsr] watch it: ${link}` : ''}`);
    if (noWait) {
      console.log(handle.workflowId);
      return 0;
    }
    let last = '';
    const timer = setInterval(() => {
      vsr.batchProgress(handle.workflowId).then(
        (b) => {
          const line = `${b.stage}: ${b.done + b.failed + b.skipped}/${b.total} (done ${b.done}, running ${b.running}, failed ${b.failed}, skipped ${b.skipped})`;
          if (line !== last) process.stderr.write(process.stderr.isTTY ? `\r\x1b[2K${line}` : `${line}\n`);
          last = line;
        },
        () => undefined,
      );
    }, 1000);
    try {
      const s = await vsr.batchResult(handle.workflowId);
      if (process.stderr.isTTY) process.stderr.write('\n');
      console.error(`[vsr] ${s.total} videos: ${s.done} done, ${s.failed} failed, ${s.skipped} skipped`);
      console.log(s.summaryJson);
      console.log(s.summaryCsv);
      return s.failed === 0 ? 0 : 1;
    } catch (err) {
      console.error(`[vsr] batch failed: ${failureMessage(err)}`);
      return 1;
    } finally {
      clearInterval(timer);
    }
  } finally {
    await session.stop();
  }
}
