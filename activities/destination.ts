// Where a result may be written, and how, so that a user's files are safe: never onto the source itself (however
// spelled: symlinks, `..`, hard links), never over an existing file unless the input says `overwrite`, never outside
// the configured output roots, and only as a whole, verified file moved into place under its final name.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Destination, Source } from '../workflows/contract';
import { ErrorTypes } from '../workflows/contract';
import { ossProblem, ossUri } from '../workflows/locations';
import type { LimitViolation } from './media';
import type { ObjectStorage } from './provider/oss';
import { retryTransient } from './provider/retry';

/** A place outputs may go (`VSR_OUTPUT_ROOT`): a local folder or an OSS prefix. */
export type OutputRoot = { kind: 'local'; path: string } | { kind: 'oss'; bucket: string; prefix: string };

/** Names the partial file of a workflow's download (hidden, beside its destination, unique to the workflow). */
const PARTIAL_SUFFIX = '.vsr-part';

function invalid(field: string, message: string): LimitViolation {
  return { type: ErrorTypes.InvalidDestination, field, message };
}

/**
 * The file a download writes before it is complete and verified: for a local destination a hidden file in the
 * destination's own folder (so the final rename is atomic and a full disk is the destination's), for an object
 * one in the work folder.
 */
export function partialPath(workDir: string, destination: Destination, workflowId: string): string {
  const tag = createHash('sha256').update(workflowId).digest('hex').slice(0, 12);
  if (destination.kind === 'oss')
    return path.join(workDir, `${workflowId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 150)}.mp4${PARTIAL_SUFFIX}`);
  // A file name is at most 255 bytes: keep the destination's name short enough for the prefix and suffix.
  const base = Buffer.from(path.basename(destination.path))
    .subarray(0, 200)
    .toString()
    .replace(/\uFFFD$/, '');
  return path.join(path.dirname(destination.path), `.${base}.${tag}${PARTIAL_SUFFIX}`);
}

function inside(root: string, target: string): boolean {
  return target === root || target.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** Real (symlink-free) path of a folder, or undefined when it does not exist. */
async function realFolder(dir: string): Promise<{ real?: string; problem?: string }> {
  try {
    const real = await fs.promises.realpath(dir);
    if (!(await fs.promises.stat(real)).isDirectory()) return { problem: `${dir} is not a folder` };
    return { real };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      problem:
        code === 'ENOENT' ? `its folder ${dir} does not exist (vsr does not create it)` : `its folder ${dir} cannot be used (${code})`,
    };
  }
}

/** Refuses a local destination folder outside every local root, after resolving symlinks and `..`. */
async function outsideRoots(realDir: string, roots: readonly OutputRoot[]): Promise<boolean> {
  if (roots.length === 0) return false;
  for (const root of roots) {
    if (root.kind !== 'local') continue;
    const real = await fs.promises.realpath(root.path).catch(() => undefined);
    if (real && inside(real, realDir)) return false;
  }
  return true;
}

function describeRoots(roots: readonly OutputRoot[]): string {
  return roots.map((r) => (r.kind === 'local' ? r.path : ossUri(r.bucket, r.prefix))).join(', ');
}

/** Whether a folder can really be written: a probe file is created exclusively and removed (root ignores modes, not read-only mounts). */
async function writeProblem(realDir: string): Promise<string | undefined> {
  // Unique per check: validations of several videos into one folder run at the same moment.
  const probe = path.join(realDir, `.vsr-write-check-${randomBytes(8).toString('hex')}`);
  try {
    await (await fs.promises.open(probe, 'wx')).close();
    await fs.promises.rm(probe, { force: true });
    return undefined;
  } catch (err) {
    return `its folder ${realDir} is not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
}

/** The same file, whatever the spelling: same device and inode (symlinks followed, hard links caught). */
async function sameFile(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([fs.promises.stat(a).catch(() => undefined), fs.promises.stat(b).catch(() => undefined)]);
  return Boolean(sa && sb && sa.dev === sb.dev && sa.ino === sb.ino);
}

export interface DestinationCheck {
  destination: Destination;
  source: Source;
  overwrite: boolean;
  roots: readonly OutputRoot[];
  storage: Pick<ObjectStorage, 'head'>;
}

/** Everything that makes a destination unsafe or impossible, checked at validation (before anything is paid for). */
export async function destinationViolation(c: DestinationCheck): Promise<LimitViolation | undefined> {
  return c.destination.kind === 'local' ? localViolation(c.destination.path, c) : ossViolation(c.destination, c);
}

async function localViolation(file: string, c: DestinationCheck): Promise<LimitViolation | undefined> {
  const field = 'destination.path';
  const shown = JSON.stringify(file);
  if (!path.isAbsolute(file)) return invalid(field, `${field} ${shown} must be absolute`);
  if (file.includes('\0')) return invalid(field, `${field} ${shown} contains a NUL character`);
  if (file.endsWith(path.sep) || ['.', '..'].includes(path.basename(file))) return invalid(field, `${field} ${shown} must name a file`);
  const { real, problem } = await realFolder(path.dirname(file));
  if (!real) return invalid(field, `${field} ${shown}: ${problem}`);
  if (await outsideRoots(real, c.roots))
    return invalid(field, `${field} ${shown} resolves to ${real}, outside the output roots (VSR_OUTPUT_ROOT: ${describeRoots(c.roots)})`);
  const target = path.join(real, path.basename(file));
  const existing = await fs.promises.lstat(target).catch(() => undefined);
  if (existing) {
    if (c.source.kind === 'local' && (await sameFile(c.source.path, target)))
      return invalid(field, `${field} ${shown} is the source file itself; the upscale would destroy the original`);
    if ((await fs.promises.stat(target).catch(() => existing)).isDirectory()) return invalid(field, `${field} ${shown} is a folder`);
    if (!c.overwrite)
      return {
        type: ErrorTypes.DestinationExists,
        field,
        message: `${field} ${shown} already exists; pass overwrite (--overwrite) to replace it`,
      };
  }
  const unwritable = await writeProblem(real);
  return unwritable ? invalid(field, `${field} ${shown}: ${unwritable}`) : undefined;
}

async function ossViolation(d: { bucket: string; key: string }, c: DestinationCheck): Promise<LimitViolation | undefined> {
  const where = ossUri(d.bucket, d.key);
  const problem = ossProblem(d.bucket, d.key);
  if (problem) return invalid('destination', `destination ${JSON.stringify(where)} ${problem}`);
  if (c.roots.length > 0 && !c.roots.some((r) => r.kind === 'oss' && r.bucket === d.bucket && d.key.startsWith(r.prefix)))
    return invalid('destination', `destination ${where} is outside the output roots (VSR_OUTPUT_ROOT: ${describeRoots(c.roots)})`);
  if (c.source.kind === 'oss' && c.source.bucket === d.bucket && c.source.key === d.key)
    return invalid('destination', `destination ${where} is the source object itself; the upscale would destroy the original`);
  if (!c.overwrite && (await retryTransient(() => c.storage.head(d.bucket, d.key))))
    return {
      type: ErrorTypes.DestinationExists,
      field: 'destination',
      message: `destination ${where} already exists; pass overwrite (--overwrite) to replace it`,
    };
  return undefined;
}

/**
 * Checks a local destination's folder again when the download starts (validation may have been hours ago and
 * a symlink may have been swapped in since): it must exist and lie inside the roots.
 */
export async function recheckLocalFolder(file: string, roots: readonly OutputRoot[]): Promise<string | undefined> {
  const { real, problem } = await realFolder(path.dirname(file));
  if (!real) return `destination.path ${JSON.stringify(file)}: ${problem}`;
  if (await outsideRoots(real, roots)) return `destination.path ${JSON.stringify(file)} resolves to ${real}, outside the output roots`;
  return undefined;
}

/**
 * Moves a complete, verified partial file to its destination. Without `overwrite` it never replaces a file: a hard
 * link fails atomically if the name is taken, unless what is there is this very result (an earlier attempt got that
 * far before it died). Returns false when the destination holds something else; the partial file is gone either way.
 */
export async function publishLocal(part: string, file: string, overwrite: boolean, sha256: string): Promise<boolean> {
  if (overwrite) {
    await fs.promises.rename(part, file);
    return true;
  }
  try {
    await fs.promises.link(part, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      await fs.promises.rm(part, { force: true });
      return (await fileSha256(file).catch(() => undefined)) === sha256;
    }
    // Filesystems without hard links: check, then rename (a window of a few microseconds instead of none).
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
    if (await fs.promises.lstat(file).catch(() => undefined)) {
      await fs.promises.rm(part, { force: true });
      return false;
    }
    await fs.promises.rename(part, file);
    return true;
  }
  await fs.promises.rm(part, { force: true });
  return true;
}

export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
