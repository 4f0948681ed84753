// Locations as users write them (a local path, an http(s) URL, oss://bucket/key) and the output naming rule.
// Pure, so the CLI, the client library, the workflows and the activities all decide these the same way.
import type { Destination, Source } from './contract';

/** A text that is not a location a user may give; the message names the role (input, --out, manifest entry). */
export class LocationError extends Error {}

/** Outputs are named after their source with this before the extension (`a.mp4` -> `a.x2.mp4`, `in/` -> `in.x2/`). */
export const UPSCALED_TAG = '.x2';

export function ossUri(bucket: string, key: string): string {
  return `oss://${bucket}/${key}`;
}

/** `oss://bucket/prefix` as a bucket and a prefix ending in `/` (or empty: the whole bucket); undefined for other texts. */
export function parseOssPrefix(text: string): { bucket: string; prefix: string } | undefined {
  const m = /^oss:\/\/([^/]+)\/?(.*)$/.exec(text);
  if (!m) return undefined;
  return { bucket: m[1], prefix: m[2] && !m[2].endsWith('/') ? `${m[2]}/` : m[2] };
}

/**
 * A source as written: `oss://bucket/key`, an http(s) URL, or a local path, which `resolveLocal` makes absolute
 * (the caller knows relative to what: the working directory, a manifest's folder).
 */
export function parseLocation(text: string, role: string, resolveLocal: (path: string) => string): Source {
  const oss = /^oss:\/\/([^/]+)\/(.+)$/.exec(text);
  if (oss) return { kind: 'oss', bucket: oss[1], key: oss[2] };
  if (text.startsWith('oss://')) throw new LocationError(`${role} ${text} must look like oss://bucket/key`);
  if (/^https?:\/\//i.test(text)) return { kind: 'url', url: text };
  return { kind: 'local', path: resolveLocal(text) };
}

/** A destination as written: like a source, but a URL is refused (vsr cannot write to one). */
export function parseDestination(text: string, role: string, resolveLocal: (path: string) => string): Destination {
  const location = parseLocation(text, role, resolveLocal);
  if (location.kind === 'url') throw new LocationError(`${role} must be a local path or oss://bucket/key, not a URL`);
  return location;
}

/** A URL without its query string: signatures and tokens stay out of ids, memos and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\?.*$/, '?…');
}

export function describeLocation(s: Source | Destination): string {
  if (s.kind === 'local') return s.path;
  if (s.kind === 'oss') return ossUri(s.bucket, s.key);
  return redactUrl(s.url);
}

/** The last path segment of a location (no query string), e.g. for naming its output. */
export function baseName(s: Source): string {
  const full = s.kind === 'local' ? s.path : s.kind === 'oss' ? s.key : s.url.replace(/^[a-z]+:\/\/[^/]*/i, '').replace(/[?#].*$/, '');
  return full.split('/').pop() ?? '';
}

/** A name or path without the extension of its last segment (`dir/a.mp4` -> `dir/a`; `.hidden` stays). */
export function withoutExtension(name: string): string {
  return name.replace(/(?<=[^/])\.[^./]+$/, '');
}

/** The output file for a source file: `dir/a.mp4` -> `dir/a.x2.mp4` (always MP4: that is what the provider returns). */
export function upscaledFileName(name: string): string {
  return `${withoutExtension(name)}${UPSCALED_TAG}.mp4`;
}

/** The output folder (or prefix) for a folder of sources: `in` or `in/` -> `in.x2`. */
export function upscaledFolderName(name: string): string {
  return `${name.replace(/\/+$/, '')}${UPSCALED_TAG}`;
}
