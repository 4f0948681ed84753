// Real filesystem conditions for tests: a tiny tmpfs (a full disk) and a read-only folder. Tests run as root in CI,
// where file modes do not stop writes, so a read-only mount is used; elsewhere a folder without write permission.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export const isRoot = process.getuid?.() === 0;

/** Mounts a tmpfs of `size` (e.g. '2m') on `dir`; returns the unmount. Needs root (CI runs as root). */
export function mountTmpfs(dir: string, size: string, readOnly = false): () => void {
  fs.mkdirSync(dir, { recursive: true });
  if (!isRoot) throw new Error(`this test mounts a ${size} tmpfs on ${dir} to fill a real disk: it needs root (as in CI); run it as root`);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}${readOnly ? ',ro' : ''}`, 'tmpfs', dir]);
  return () => execFileSync('umount', ['-l', dir]);
}

/** A folder nobody may create files in, by a read-only mount as root or by its mode otherwise; returns the undo. */
export function readOnlyFolder(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  if (isRoot) return mountTmpfs(dir, '1m', true);
  fs.chmodSync(dir, 0o555);
  return () => fs.chmodSync(dir, 0o755);
}
