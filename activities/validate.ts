// Validate: everything the provider would refuse, refused here first, before anything is uploaded or paid for.
import fs from 'node:fs';
import path from 'node:path';
import type { SuperResolveInput, VideoFacts } from '../workflows/contract';
import { ErrorTypes } from '../workflows/contract';
import { ossUri } from '../workflows/locations';
import type { ActivityDeps } from './deps';
import { userError } from './failures';
import { bitRateViolation, mediaViolation, probe, urlViolation, type LimitViolation } from './media';
import { retryTransient } from './provider/retry';
import type { ValidatedInput } from './types';

const BUCKET_RE = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

function check(v: LimitViolation | undefined): void {
  if (v) throw userError(v);
}

function invalid(type: LimitViolation['type'], field: string, message: string): LimitViolation {
  return { type, field, message };
}

export function makeValidate(deps: ActivityDeps) {
  return async function validateInput(input: SuperResolveInput): Promise<ValidatedInput> {
    check(bitRateViolation(input.bitRateMbps, 'bitRateMbps'));
    if (input.deadline !== undefined && !Number.isFinite(Date.parse(input.deadline))) {
      check(invalid(ErrorTypes.InvalidDeadline, 'deadline', `deadline ${JSON.stringify(input.deadline)} is not an ISO-8601 time`));
    }
    const dest = input.destination;
    if (dest.kind === 'local') {
      if (!path.isAbsolute(dest.path))
        check(invalid(ErrorTypes.InvalidDestination, 'destination.path', `destination.path ${JSON.stringify(dest.path)} must be absolute`));
    } else if (!BUCKET_RE.test(dest.bucket) || !dest.key) {
      check(
        invalid(
          ErrorTypes.InvalidDestination,
          'destination',
          `destination ${ossUri(dest.bucket, dest.key)} needs a 3-63 character bucket name and a key`,
        ),
      );
    }

    const src = input.source;
    let facts: VideoFacts;
    let providerSource: ValidatedInput['providerSource'];
    if (src.kind === 'local') {
      const stat = await fs.promises.stat(src.path).catch(() => undefined);
      if (!stat?.isFile())
        check(
          invalid(ErrorTypes.SourceNotFound, 'source.path', `source.path ${JSON.stringify(src.path)} is not a readable file on the worker`),
        );
      facts = await probeOrReject(src.path, 'source.path');
      facts.sizeBytes = (stat as fs.Stats).size;
    } else if (src.kind === 'url') {
      check(urlViolation(src.url));
      facts = await probeOrReject(src.url, 'source.url');
      providerSource = { kind: 'url', url: src.url };
    } else {
      if (!BUCKET_RE.test(src.bucket) || !src.key)
        check(
          invalid(ErrorTypes.InvalidSource, 'source', `source ${ossUri(src.bucket, src.key)} needs a 3-63 character bucket name and a key`),
        );
      const head = await retryTransient(() => deps.storage.head(src.bucket, src.key));
      if (!head) check(invalid(ErrorTypes.SourceNotFound, 'source.key', `source ${ossUri(src.bucket, src.key)} does not exist`));
      facts = await probeOrReject(deps.storage.signGetUrl(src.bucket, src.key, 600), 'source.key');
      facts.sizeBytes = (head as { size: number }).size;
      providerSource = { kind: 'oss', bucket: src.bucket, key: src.key };
    }
    check(mediaViolation(facts, 'source'));
    return { facts, provider: deps.provider, providerSource, workBucket: deps.workBucket };
  };
}

async function probeOrReject(target: string, field: string): Promise<VideoFacts> {
  try {
    return await probe(target);
  } catch (err) {
    // ffprobe's stderr is the useful part; keep signed query strings out of the message.
    const reason = (
      String((err as { stderr?: string }).stderr ?? (err as Error).message)
        .split('\n')
        .filter(Boolean)
        .pop() ?? 'unreadable'
    ).replace(/\?[^\s]*/g, '?…');
    if (/refused|Server returned|resolve|timed out|No such file/i.test(reason)) {
      throw userError(invalid(ErrorTypes.SourceNotFound, field, `${field} could not be fetched (${reason})`));
    }
    throw userError(invalid(ErrorTypes.UnsupportedContainer, field, `${field} is not a readable video (ffprobe: ${reason})`));
  }
}
