// Download before expiry: stream the result with Range resume, refreshing the signed URL by polling when it
// has expired or is about to, verify it (h264, mp4, 2x), then move it to the destination.
import { Context } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Destination } from '../workflows/contract';
import { ErrorTypes } from '../workflows/contract';
import type { ActivityDeps } from './deps';
import { finalError, retryableError } from './failures';
import { probe } from './media';
import { TransferReporter } from './progress';
import { retryTransient, TransientHttpError } from './provider/retry';
import type { DownloadInput, DownloadOutput } from './types';

/** Refresh a result URL this close to its expiry rather than start a download that may outlive it. */
const EXPIRY_MARGIN_MS = 2 * 60 * 1000;

/** The file the download writes before it is complete and verified. */
export function partialPath(deps: Pick<ActivityDeps, 'workDir'>, destination: Destination, workflowId: string): string {
  if (destination.kind === 'local') return `${destination.path}.vsr-part`;
  return path.join(deps.workDir, `${workflowId.replace(/[^A-Za-z0-9._-]/g, '_')}.mp4.vsr-part`);
}

function expiresAtMs(url: string): number | undefined {
  const v = new URL(url).searchParams.get('Expires');
  return v && /^\d+$/.test(v) ? Number(v) * 1000 : undefined;
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function makeDownload(deps: ActivityDeps) {
  async function freshResultUrl(jobId: string): Promise<string> {
    const r = await retryTransient(() => deps.viapi.getResult(jobId));
    if (r.status !== 'PROCESS_SUCCESS' || !r.resultUrl)
      throw finalError(ErrorTypes.ProviderJobFailed, `job ${jobId} has no result to download (status ${r.status})`);
    return r.resultUrl;
  }

  return async function downloadResult(input: DownloadInput): Promise<DownloadOutput> {
    const ctx = Context.current();
    const part = partialPath(deps, input.destination, input.workflowId);
    await fs.promises.mkdir(path.dirname(part), { recursive: true });

    let url = await freshResultUrl(input.jobId);
    let refreshes = 0;
    for (;;) {
      const expires = expiresAtMs(url);
      if (expires !== undefined && expires - deps.now() < EXPIRY_MARGIN_MS) {
        if (++refreshes > 3)
          throw retryableError(ErrorTypes.ResultUrlExpired, `result URL for job ${input.jobId} keeps arriving expired; retrying later`);
        url = await freshResultUrl(input.jobId);
        continue;
      }
      // The file on disk is the truth about what arrived; heartbeats only say how far we got.
      const have = (await fs.promises.stat(part).catch(() => undefined))?.size ?? 0;
      const res = await retryTransient(async () => {
        const r = await fetch(url, { headers: have > 0 ? { range: `bytes=${have}-` } : {}, signal: ctx.cancellationSignal });
        if (r.status < 500) return r;
        await r.body?.cancel();
        throw new TransientHttpError(r.status);
      });
      if (res.status === 403) {
        await res.body?.cancel();
        if (++refreshes > 3)
          throw retryableError(
            ErrorTypes.ResultUrlExpired,
            `result URL for job ${input.jobId} refused (403) after ${refreshes - 1} refreshes`,
          );
        url = await freshResultUrl(input.jobId); // expired early: poll again for a new one
        continue;
      }
      if (res.status === 416 && have > 0) break; // already complete
      if (res.status !== 200 && res.status !== 206) {
        await res.body?.cancel();
        throw retryableError('DownloadFailed', `result download answered HTTP ${res.status}`);
      }
      const resumed = res.status === 206;
      const total = resumed
        ? Number(/\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1] ?? 0)
        : Number(res.headers.get('content-length') ?? 0);
      const reporter = new TransferReporter(deps, input.workflowId, 'downloading', total);
      let done = resumed ? have : 0;
      const out = fs.createWriteStream(part, { flags: resumed ? 'a' : 'w' });
      try {
        for await (const chunk of Readable.fromWeb(res.body as WebReadableStream<Uint8Array>)) {
          if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
          done += (chunk as Buffer).length;
          reporter.update(done, { bytes: done });
        }
      } finally {
        await new Promise<void>((resolve) => out.end(resolve));
      }
      if (total > 0 && done < total)
        throw retryableError('DownloadIncomplete', `result download stopped at ${done} of ${total} bytes; resuming`);
      break;
    }

    const facts = await probe(part).catch(() => undefined);
    const problems: string[] = [];
    if (!facts) problems.push('not a readable video');
    else {
      if (facts.videoCodec !== 'h264') problems.push(`codec ${facts.videoCodec}, expected h264`);
      if (!/mp4/.test(facts.formatName)) problems.push(`container ${facts.formatName}, expected mp4`);
      if (facts.width !== input.expectedWidth || facts.height !== input.expectedHeight) {
        problems.push(`size ${facts.width}x${facts.height}, expected ${input.expectedWidth}x${input.expectedHeight}`);
      }
    }
    if (problems.length > 0 || !facts) {
      await fs.promises.rm(part, { force: true }); // a corrupt copy must not be resumed
      throw retryableError(ErrorTypes.OutputInvalid, `result of job ${input.jobId} failed verification: ${problems.join('; ')}`);
    }
    const sizeBytes = (await fs.promises.stat(part)).size;
    const digest = await sha256(part);
    if (input.destination.kind === 'local') {
      await fs.promises.rename(part, input.destination.path);
    } else {
      const { bucket, key } = input.destination;
      await retryTransient(() => deps.storage.put(bucket, key, part));
      await fs.promises.rm(part, { force: true });
    }
    facts.sizeBytes = sizeBytes;
    return { sizeBytes, sha256: digest, facts };
  };
}
