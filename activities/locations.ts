// Text <-> locations: local paths, http(s) URLs and oss://bucket/key, as users write them.
import path from 'node:path';
import type { Source } from '../workflows/contract';

export class LocationError extends Error {}

export function parseLocation(text: string, role: string, baseDir = process.cwd()): Source {
  const oss = /^oss:\/\/([^/]+)\/(.+)$/.exec(text);
  if (oss) return { kind: 'oss', bucket: oss[1], key: oss[2] };
  if (text.startsWith('oss://')) throw new LocationError(`${role} ${text} must look like oss://bucket/key`);
  if (/^https?:\/\//i.test(text)) return { kind: 'url', url: text };
  return { kind: 'local', path: path.resolve(baseDir, text) };
}
