// `vsr upscale <input> [--bitrate N] [--out PATH|oss://b/k] [--provider local|alibaba] [--no-wait] [--deadline ISO] [--key K]`
import fs from 'node:fs';
import path from 'node:path';
import type { Destination, Source, SuperResolveInput } from '../../../workflows/contract';
import { loadConfig } from '../../../config';
import { ensureFfmpeg } from '../../embedded/tools';
import { makeSampleVideo } from '../../embedded/sample';
import { failureMessage, VsrClient } from '../../../client';
import { intFlag, parseArgs, strFlag, UsageError } from '../args';
import { LocationError, parseLocation as parseAnyLocation } from '../../../activities/locations';
import { openSession, workflowUiLink } from '../connect';
import { ProgressLine } from '../progressBar';

export function parseLocation(text: string, role: 'input' | '--out'): Source {
  try {
    const location = parseAnyLocation(text, role);
    if (role === '--out' && location.kind === 'url') throw new UsageError('--out must be a local path or oss://bucket/key, not a URL');
    return location;
  } catch (err) {
    if (err instanceof LocationError) throw new UsageError(err.message);
    throw err;
  }
}

function defaultOutput(source: Source, home: string): Destination {
  if (source.kind === 'local') {
    const { dir, name } = path.parse(source.path);
    return { kind: 'local', path: path.join(dir, `${name}.x2.mp4`) };
  }
  const base = (source.kind === 'url' ? new URL(source.url).pathname : source.key).split('/').pop() || 'video';
  return { kind: 'local', path: path.join(home, 'output', `${path.parse(base).name}.x2.mp4`) };
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
  const p = parseArgs(argv, ['bitrate', 'out', 'provider', 'deadline', 'key'], ['no-wait']);
  const env = { ...process.env };
  const provider = strFlag(p, 'provider');
  if (provider !== undefined) env.VSR_PROVIDER = provider;
  const config = loadConfig(env);
  if (p.positionals.length > 1) throw new UsageError('upscale takes one input');
  const inputText = p.positionals[0] ?? (await sampleInput(config.home));
  const source = parseLocation(inputText, 'input');
  const out = strFlag(p, 'out');
  const destination = out ? (parseLocation(out, '--out') as Destination) : defaultOutput(source, config.home);
  if (destination.kind === 'local') await fs.promises.mkdir(path.dirname(destination.path), { recursive: true });
  const input: SuperResolveInput = {
    source,
    destination,
    bitRate: intFlag(p, 'bitrate', 1, 100),
    deadline: strFlag(p, 'deadline'),
    provider: config.provider,
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
      const where =
        result.destination.kind === 'local' ? result.destination.path : `oss://${result.destination.bucket}/${result.destination.key}`;
      console.error(
        `[vsr] done: ${result.width}x${result.height}, ${(result.bitRate / 1e6).toFixed(2)} Mbps, ${result.durationSeconds.toFixed(2)} s, ${result.sizeBytes} bytes, sha256 ${result.sha256}, job ${result.jobId}`,
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
