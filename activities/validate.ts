// Validate: everything the provider would refuse, and everything that would harm the user's files, refused here
// first, before anything is uploaded or paid for.
import { Context } from '@temporalio/activity';
import fs from 'node:fs';
import path from 'node:path';
import type { Source, SuperResolveInput, VideoFacts } from '../workflows/contract';
import { ErrorTypes } from '../workflows/contract';
import { ossProblem, ossUri, redactUrl, urlCredentials } from '../workflows/locations';
import type { ActivityDeps } from './deps';
import { destinationViolation } from './destination';
import { retryableError, userError } from './failures';
import { bitRateViolation, LIMITS, mediaViolation, probe, urlViolation, type LimitViolation } from './media';
import { UrlError, type UrlPolicy } from './net/guardedHttp';
import { probeUrl } from './net/probeUrl';
import { retryTransient } from './provider/retry';
import type { ValidatedInput } from './types';

function check(v: LimitViolation | undefined): void {
  if (v) throw userError(v);
}

function invalid(type: LimitViolation['type'], field: string, message: string): LimitViolation {
  return { type, field, message };
}

function deadlineViolation(deadline: string | undefined, now: number): LimitViolation | undefined {
  if (deadline === undefined) return undefined;
  const at = Date.parse(deadline);
  if (!Number.isFinite(at))
    return invalid(ErrorTypes.InvalidDeadline, 'deadline', `deadline ${JSON.stringify(deadline)} is not an ISO-8601 time`);
  if (at <= now)
    return invalid(
      ErrorTypes.InvalidDeadline,
      'deadline',
      `deadline ${deadline} is in the past (the worker's clock says ${new Date(now).toISOString()})`,
    );
  return undefined;
}

function sizeViolation(bytes: number, field: string): LimitViolation | undefined {
  if (bytes === 0) return invalid(ErrorTypes.UnsupportedContainer, field, `${field} is empty (0 bytes)`);
  if (bytes > LIMITS.maxBytes)
    return invalid(
      ErrorTypes.FileTooLarge,
      `${field}.size`,
      `${field}.size ${bytes} bytes exceeds the limit of ${LIMITS.maxBytes} bytes (1 GiB)`,
    );
  return undefined;
}

/** A local source: an absolute path to a regular file the worker can read (a FIFO or a device would hang ffprobe). */
async function localSourceViolation(file: string): Promise<LimitViolation | undefined> {
  const field = 'source.path';
  if (!path.isAbsolute(file)) return invalid(ErrorTypes.InvalidSource, field, `${field} ${JSON.stringify(file)} must be absolute`);
  const stat = await fs.promises.stat(file).catch((err: NodeJS.ErrnoException) => err);
  if (stat instanceof Error)
    return invalid(
      ErrorTypes.SourceNotFound,
      field,
      `${field} ${JSON.stringify(file)} is not a readable file on the worker (${stat.code})`,
    );
  if (stat.isDirectory())
    return invalid(ErrorTypes.InvalidSource, field, `${field} ${JSON.stringify(file)} is a folder; upscale its videos with vsr batch`);
  if (!stat.isFile()) return invalid(ErrorTypes.InvalidSource, field, `${field} ${JSON.stringify(file)} is not a regular file`);
  const opened = await fs.promises.open(file, 'r').catch((err: NodeJS.ErrnoException) => err);
  if (opened instanceof Error)
    return invalid(ErrorTypes.SourceNotFound, field, `${field} ${JSON.stringify(file)} cannot be read by the worker (${opened.code})`);
  await opened.close();
  return sizeViolation(stat.size, field);
}

/** What can be judged of a source without fetching it. */
function sourceShapeViolation(src: Source, encrypted: boolean): LimitViolation | undefined {
  if (src.kind === 'url') return urlViolation(src.url) ?? (encrypted ? undefined : credentialsViolation(src.url));
  if (src.kind === 'oss') {
    const problem = ossProblem(src.bucket, src.key);
    if (problem) return invalid(ErrorTypes.InvalidSource, 'source', `source ${JSON.stringify(ossUri(src.bucket, src.key))} ${problem}`);
  }
  return undefined;
}

/** A URL with credentials is refused unless payloads are encrypted (it travels through history to the submit). */
function credentialsViolation(url: string): LimitViolation | undefined {
  const credentials = urlCredentials(url);
  if (!credentials) return undefined;
  return invalid(
    ErrorTypes.InvalidSource,
    'source.url',
    `source.url ${redactUrl(url)} carries ${credentials}, which must not be stored in workflow history in plain text; set VSR_PAYLOAD_KEY (payload encryption) for clients and workers, or give the video as oss://bucket/key`,
  );
}

/** ffprobe failed on the input: unreachable, or not a video. */
function probeFailure(err: unknown, field: string): LimitViolation {
  if (err instanceof UrlError) {
    if (err.reason === 'refused') return invalid(ErrorTypes.SourceNotAllowed, field, `${field} refused: ${err.message}`);
    if (err.reason === 'too-large') return invalid(ErrorTypes.FileTooLarge, `${field}.size`, `${field} ${err.message}`);
    return invalid(ErrorTypes.SourceNotFound, field, `${field} could not be fetched (${err.message})`);
  }
  // ffprobe's last stderr line is the useful part; keep signed query strings out of the message.
  const reason = (
    String((err as { stderr?: string }).stderr ?? (err as Error).message)
      .split('\n')
      .filter(Boolean)
      .pop() ?? 'unreadable'
  ).replace(/\?[^\s]*/g, '?…');
  return invalid(ErrorTypes.UnsupportedContainer, field, `${field} is not a readable video (ffprobe: ${reason})`);
}

export function makeValidate(deps: ActivityDeps) {
  const policy: UrlPolicy = deps.urlPolicy ?? { allow: [] };

  /** `provider`: the URL is the provider's (a signed OSS URL), whose brownouts are ridden out inside the activity. */
  async function probeRemote(url: string, field: string, provider = false): Promise<VideoFacts> {
    const once = () => probeUrl(url, policy, Context.current().cancellationSignal);
    const probed = await (provider ? retryTransient(once) : once()).catch((err: unknown) => {
      // A reset, a timeout or a 5xx may pass: the activity's retries try again; then it fails with this type.
      if (err instanceof UrlError && err.reason === 'transient')
        throw retryableError(ErrorTypes.SourceUnavailable, `${field} could not be fetched for now (${err.message})`);
      throw userError(probeFailure(err, field));
    });
    if (probed.sizeBytes !== undefined) check(sizeViolation(probed.sizeBytes, field));
    return { ...probed.facts, sizeBytes: probed.sizeBytes ?? probed.facts.sizeBytes };
  }

  return async function validateInput(input: SuperResolveInput): Promise<ValidatedInput> {
    check(bitRateViolation(input.bitRateMbps, 'bitRateMbps'));
    check(deadlineViolation(input.deadline, deps.now()));
    const src = input.source;
    check(sourceShapeViolation(src, deps.payloadsEncrypted ?? false));
    if (src.kind === 'local') check(await localSourceViolation(src.path));
    if (src.kind === 'oss') {
      const head = await retryTransient(() => deps.storage.head(src.bucket, src.key));
      if (!head) check(invalid(ErrorTypes.SourceNotFound, 'source.key', `source ${ossUri(src.bucket, src.key)} does not exist`));
      check(sizeViolation((head as { size: number }).size, 'source'));
    }
    const overwrite = input.overwrite ?? false;
    check(
      await destinationViolation({
        destination: input.destination,
        source: src,
        overwrite,
        roots: deps.outputRoots ?? [],
        storage: deps.storage,
      }),
    );

    let facts: VideoFacts;
    let providerSource: ValidatedInput['providerSource'];
    if (src.kind === 'local') {
      facts = await probe(src.path).catch((err: unknown) => {
        throw userError(probeFailure(err, 'source.path'));
      });
      facts.sizeBytes = (await fs.promises.stat(src.path)).size;
    } else if (src.kind === 'url') {
      facts = await probeRemote(src.url, 'source.url');
      providerSource = { kind: 'url', url: src.url };
    } else {
      facts = await probeRemote(deps.storage.signGetUrl(src.bucket, src.key, 600), 'source.key', true);
      providerSource = { kind: 'oss', bucket: src.bucket, key: src.key };
    }
    check(mediaViolation(facts, 'source'));
    return { facts, provider: deps.provider, providerSource, workBucket: deps.workBucket };
  };
}
