// Download before expiry: stream the result with Range resume, refreshing the signed URL by polling when it
// has expired or is about to, verify it (h264, mp4, 2x), then move it to the destination.
import { Context } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ErrorTypes } from '../workflows/contract';
import type { ActivityDeps } from './deps';
import { fileSha256, partialPath, publishLocal, recheckLocalFolder } from './destination';
import { finalError, retryableError } from './failures';
import { probe } from './media';
import { guardedFetch } from './net/guardedHttp';
import { TransferReporter } from './progress';
import { retryTransient, TransientHttpError } from './provider/retry';
import type { DownloadInput, DownloadOutput } from './types';

/** Refresh a result URL this close to its expiry rather than start a download that may outlive it. */
const EXPIRY_MARGIN_MS = 2 * 60 * 1000;

function expiresAtMs(url: string): number | undefined {
  const v = new URL(url).searchParams.get('Expires');
  return v && /^\d+$/.test(v) ? Number(v) * 1000 : undefined;
}

/** Opens the partial file without following a symlink planted at its name (it lives in a user's folder). */
const PARTIAL_FLAGS = {
  fresh: fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW,
  append: fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_NOFOLLOW,
};

/** A full disk is reported, never a crash: the partial file is removed (it cannot grow) and the attempt fails, typed. */
async function noSpace(part: string, done: number, total: number): Promise<never> {
  await fs.promises.rm(part, { force: true });
  throw retryableError(
    ErrorTypes.NoSpaceLeft,
    `no space left in ${path.dirname(part)} for the result (${done} of ${total || 'unknown'} bytes written, partial file removed); free at least ${total || 'the result size in'} bytes there, the download retries`,
  );
}

function md5(file: string): Promise<string> {
  const hash = createHash('md5');
  return pipeline(fs.createReadStream(file), hash).then(() => hash.digest('hex'));
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
    const part = partialPath(deps.workDir, input.destination, input.workflowId);
    if (input.destination.kind === 'local') {
      const problem = await recheckLocalFolder(input.destination.path, deps.outputRoots ?? []);
      if (problem) throw finalError(ErrorTypes.InvalidDestination, problem);
    } else await fs.promises.mkdir(path.dirname(part), { recursive: true });
    const partial = await fs.promises.lstat(part).catch(() => undefined);
    if (partial && !partial.isFile()) throw finalError(ErrorTypes.InvalidDestination, `${part} is in the way and is not a file vsr wrote`);

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
      const have = (await fs.promises.lstat(part).catch(() => undefined))?.size ?? 0;
      const res = await retryTransient(async () => {
        const r = await guardedFetch(url, deps.urlPolicy ?? { allow: [] }, {
          headers: have > 0 ? { range: `bytes=${have}-` } : {},
          signal: ctx.cancellationSignal,
        });
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
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          done += chunk.length;
          reporter.update(done, { bytes: done });
          cb(null, chunk);
        },
      });
      try {
        const out = (await fs.promises.open(part, resumed ? PARTIAL_FLAGS.append : PARTIAL_FLAGS.fresh, 0o644)).createWriteStream();
        // pipeline() listens for errors on every stream: a full disk rejects here instead of killing the process.
        await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), counter, out, { signal: ctx.cancellationSignal });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOSPC' || code === 'EDQUOT') await noSpace(part, done, total);
        if (code === 'ELOOP') throw finalError(ErrorTypes.InvalidDestination, `${part} is a symlink; vsr does not write through links`);
        if (ctx.cancellationSignal.aborted) throw err;
        // A cut connection: what arrived is on disk, so the retry resumes with a Range request.
        throw retryableError(
          'DownloadIncomplete',
          `result download stopped at ${done} of ${total} bytes (${(err as Error).message}); resuming`,
        );
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
    const digest = await fileSha256(part);
    const overwrite = input.overwrite ?? false;
    const d = input.destination;
    if (d.kind === 'local') {
      if (!(await publishLocal(part, d.path, overwrite, digest)))
        throw finalError(
          ErrorTypes.DestinationExists,
          `destination.path ${JSON.stringify(d.path)} appeared while the job ran; it was left as it is`,
        );
    } else {
      await retryTransient(() => deps.storage.put(d.bucket, d.key, part, { forbidOverwrite: !overwrite })).catch(async (err: unknown) => {
        // An earlier attempt (or a retried put whose answer was lost) may have stored this very result: the same
        // bytes are not a conflict.
        const existing =
          (err as { code?: string }).code === 'FileAlreadyExists'
            ? await retryTransient(() => deps.storage.head(d.bucket, d.key))
            : undefined;
        if (!existing || existing.etag?.replace(/"/g, '').toLowerCase() !== (await md5(part))) {
          if (existing)
            throw finalError(
              ErrorTypes.DestinationExists,
              `destination ${d.bucket}/${d.key} appeared while the job ran; it was left as it is`,
            );
          throw err;
        }
      });
      await fs.promises.rm(part, { force: true });
    }
    facts.sizeBytes = sizeBytes;
    return { sizeBytes, sha256: digest, facts };
  };
}
