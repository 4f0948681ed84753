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

/** Where a workflow's temporary objects (its uploaded source) live: its own prefix, which cleanup keeps strictly to. */
export function temporaryPrefix(workflowId: string): string {
  return `vsr-tmp/${workflowId}/`;
}

/** `oss://bucket/prefix` as a bucket and a prefix ending in `/` (or empty: the whole bucket); undefined for other texts. */
export function parseOssPrefix(text: string): { bucket: string; prefix: string } | undefined {
  const m = /^oss:\/\/([^/]+)\/?(.*)$/.exec(text);
  if (!m) return undefined;
  return { bucket: m[1], prefix: m[2] && !m[2].endsWith('/') ? `${m[2]}/` : m[2] };
}

/** OSS's bucket naming rule: 3-63 characters, lowercase letters, digits and hyphens, starting and ending alphanumeric. */
const BUCKET_RE = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
/** OSS's limit on a key: 1023 bytes of UTF-8. */
export const MAX_OSS_KEY_BYTES = 1023;

/**
 * What is wrong with an object location, or undefined. Beyond OSS's own rules (bucket name, key of 1..1023 bytes
 * not starting with `/` or `\`), vsr refuses `.`/`..` segments, which HTTP clients resolve into a different
 * object, control characters, and keys naming a folder.
 */
export function ossProblem(bucket: string, key: string): string | undefined {
  if (!BUCKET_RE.test(bucket))
    return `has bucket ${JSON.stringify(bucket)}: a bucket is 3-63 lowercase letters, digits or hyphens, starting and ending with a letter or digit`;
  if (!key) return 'has an empty key';
  const bytes = new TextEncoder().encode(key).length;
  if (bytes > MAX_OSS_KEY_BYTES) return `has a key of ${bytes} bytes, above the limit of ${MAX_OSS_KEY_BYTES}`;
  if (/^[/\\]/.test(key)) return 'has a key starting with / or \\';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(key)) return 'has a control character in its key';
  if (key.split('/').some((s) => s === '.' || s === '..')) return 'has a . or .. segment in its key, which would name a different object';
  if (key.endsWith('/')) return 'names a folder (its key ends with /), not an object';
  return undefined;
}

/** A text for a message: quoted, and cut short when long (a 2 KB key need not be repeated whole). */
function clipped(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 100)}…` : text);
}

/** A `file:` URL as a local path (`file:///a/b%20c.mp4` -> `/a/b c.mp4`); only this machine's files (no host but localhost). */
function fileUrlPath(text: string, role: string): string {
  const m = /^file:\/\/(localhost)?(\/[^?#]*)$/i.exec(text);
  if (!m) throw new LocationError(`${role} ${text} must be a file URL of this machine, file:///absolute/path`);
  let decoded: string;
  try {
    decoded = decodeURIComponent(m[2]);
  } catch {
    throw new LocationError(`${role} ${text} has a malformed percent-encoding`);
  }
  if (decoded.includes('\0')) throw new LocationError(`${role} ${text} contains a NUL character`);
  return decoded;
}

/**
 * A source as written: `oss://bucket/key`, an http(s) URL, a `file:` URL or a local path, which `resolveLocal` makes
 * absolute (the caller knows relative to what: the working directory, a manifest's folder). Other schemes are refused
 * rather than read as a relative path.
 */
export function parseLocation(text: string, role: string, resolveLocal: (path: string) => string): Source {
  const oss = /^oss:\/\/([^/]*)\/(.*)$/s.exec(text);
  if (oss) {
    const problem = ossProblem(oss[1], oss[2]);
    if (problem) throw new LocationError(`${role} ${clipped(text)} ${problem}`);
    return { kind: 'oss', bucket: oss[1], key: oss[2] };
  }
  if (/^oss:/i.test(text)) throw new LocationError(`${role} ${text} must look like oss://bucket/key`);
  if (/^https?:\/\//i.test(text)) return { kind: 'url', url: text };
  if (/^file:/i.test(text)) return { kind: 'local', path: fileUrlPath(text, role) };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (scheme)
    throw new LocationError(`${role} ${redactUrl(text)}: the scheme ${scheme[1]}: is not supported (http, https, oss, file or a path)`);
  if (text.includes('\0')) throw new LocationError(`${role} ${JSON.stringify(text)} contains a NUL character`);
  return { kind: 'local', path: resolveLocal(text) };
}

/** A destination as written: like a source, but a URL is refused (vsr cannot write to one). */
export function parseDestination(text: string, role: string, resolveLocal: (path: string) => string): Destination {
  const location = parseLocation(text, role, resolveLocal);
  if (location.kind === 'url') throw new LocationError(`${role} must be a local path or oss://bucket/key, not a URL`);
  return location;
}

/** Query parameter names that carry credentials or signatures (tokens, keys, signed-URL fields of OSS, S3, GCS). */
const CREDENTIAL_PARAM = /sig|token|key|secret|pass|pwd|credential|auth|session|policy|^x-(oss|amz|goog)-/i;

/**
 * What in a URL is a credential (a user name and password, a signature or token in its query string), or undefined.
 * Such a URL must not be stored in workflow history in plain text.
 */
export function urlCredentials(url: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*@)?[^?#]*(?:\?([^#]*))?/i.exec(url);
  if (!m) return undefined;
  if (m[1]) return 'a user name and password';
  const names = (m[2] ?? '').split('&').map((kv) => decodeURIComponentSafe(kv.split('=')[0]));
  const found = names.filter((n) => CREDENTIAL_PARAM.test(n));
  return found.length ? `the query parameter${found.length > 1 ? 's' : ''} ${found.join(', ')}` : undefined;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
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
