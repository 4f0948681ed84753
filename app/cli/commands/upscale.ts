// `vsr upscale <input> [--bitrate N] [--out PATH|oss://b/k] [--overwrite] [--provider local|alibaba] [--no-wait] [--deadline ISO] [--key K]`
import fs from 'node:fs';
import path from 'node:path';
import type { Destination, Source, SuperResolveInput } from '../../../workflows/contract';
import { loadConfig } from '../../../config';
import { ensureFfmpeg } from '../../embedded/tools';
import { makeSampleVideo } from '../../embedded/sample';
import { failureMessage, VsrClient } from '../../../client';
import { bitRateFlag, parseArgs, strFlag, UsageError } from '../args';
import { baseName, describeLocation, LocationError, parseDestination, parseLocation, upscaledFileName } from '../../../workflows/locations';
import { openSession, workflowUiLink } from '../connect';
import { ProgressLine } from '../progressBar';

/** The input and `--out` as the user wrote them; relative paths are relative to the working directory. */
export function parseTarget(input: string, out: string | undefined, home: string): { source: Source; destination: Destination } {
  try {
    const source = parseLocation(input, 'input', (p) => path.resolve(p));
    if (out) return { source, destination: parseDestination(out, '--out', (p) => path.resolve(p)) };
    // A local file's output goes beside it; a remote one's into the vsr home.
    const destination: Destination =
      source.kind === 'local'
        ? { kind: 'local', path: upscaledFileName(source.path) }
        : { kind: 'local', path: path.join(home, 'output', upscaledFileName(baseName(source) || 'video')) };
    return { source, destination };
  } catch (err) {
    if (err instanceof LocationError) throw new UsageError(err.message);
    throw err;
  }
}

/** The embedded default's input: a sample made once with ffmpeg. */
async function sampleInput(home: string): Promise<string> {
  const file = path.join(home, 'samples', 'sample-640x360.mp4');
  if (!fs.existsSync(file)) {
    ensureFfmpeg();
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    await makeSampleVideo(file, { width: 640, height: 360, seconds: 4 });
    console.error(`[vsr] made a sample video: ${file}`);
  }
  return file;
}

export async function upscaleCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['bitrate', 'out', 'provider', 'deadline', 'key'], ['no-wait', 'overwrite']);
  const env = { ...process.env };
  const provider = strFlag(p, 'provider');
  if (provider !== undefined) env.VSR_PROVIDER = provider;
  const config = loadConfig(env);
  if (p.positionals.length > 1) throw new UsageError('upscale takes one input');
  const inputText = p.positionals[0] ?? (await sampleInput(config.home));
  const out = strFlag(p, 'out');
  const { source, destination } = parseTarget(inputText, out, config.home);
  // vsr's own output folder is made; a folder the user names must exist (a typo should not grow a new tree).
  if (!out && destination.kind === 'local') await fs.promises.mkdir(path.dirname(destination.path), { recursive: true });
  const input: SuperResolveInput = {
    source,
    destination,
    bitRateMbps: bitRateFlag(p),
    deadline: strFlag(p, 'deadline'),
    overwrite: p.flags.has('overwrite') || undefined,
  };

  const noWait = p.flags.has('no-wait');
  const session = await openSession(config, !noWait);
  try {
    const vsr = new VsrClient(session.client, config.taskQueue);
    const handle = await vsr.start(input, { key: strFlag(p, 'key') });
    const link = workflowUiLink(session.uiUrl, config.temporal.namespace, handle.workflowId);
    console.error(`[vsr] workflow ${handle.workflowId}${link ? `\n[vsr] watch it: ${link}` : ''}`);
    if (noWait) {
      console.log(handle.workflowId);
      return 0;
    }
    const line = new ProgressLine();
    const timer = setInterval(() => {
      vsr.progress(handle.workflowId).then(
        (pr) => line.show(pr),
        () => undefined,
      );
    }, 500);
    try {
      const result = await vsr.result(handle.workflowId);
      line.end();
      const where = describeLocation(result.destination);
      console.error(
        `[vsr] done: ${result.width}x${result.height}, ${(result.bitRateBps / 1e6).toFixed(2)} Mbps, ${result.durationSeconds.toFixed(2)} s, ${result.sizeBytes} bytes, sha256 ${result.sha256}, job ${result.jobId}`,
      );
      console.log(where);
      return 0;
    } catch (err) {
      line.end();
      console.error(`[vsr] failed: ${failureMessage(err)}`);
      return 1;
    } finally {
      clearInterval(timer);
    }
  } finally {
    await session.stop();
  }
}
