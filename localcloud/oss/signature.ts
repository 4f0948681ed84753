// OSS signatures, both versions, in headers and in presigned URLs:
// - V1: `Authorization: OSS ak:base64(HMAC-SHA1)`, or `?OSSAccessKeyId=&Expires=&Signature=`;
// - V4: `Authorization: OSS4-HMAC-SHA256 Credential=ak/date/region/oss/aliyun_v4_request,...`, or
//   `?x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential=&x-oss-date=&x-oss-expires=&x-oss-signature=`.
// Request dates more than 15 minutes from real time get RequestTimeTooSkewed; URL expiry follows the
// stand-in's clock, so tests expire URLs by moving it.
import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { headerValue as header, safeEqual } from '../http';
import type { Credentials } from '../viapi/signature';
import { OssError } from './objectStore';

/** The region the stand-in's OSS plays (V4 signatures are scoped to it). */
export const OSS_REGION = 'cn-shanghai';
const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_V4_EXPIRES_SECONDS = 7 * 24 * 3600;

/** Query keys OSS counts as sub-resources (the only query keys that enter the string to sign). */
export const SUB_RESOURCES = new Set([
  'acl',
  'uploads',
  'location',
  'cors',
  'logging',
  'website',
  'referer',
  'lifecycle',
  'delete',
  'append',
  'tagging',
  'objectMeta',
  'uploadId',
  'partNumber',
  'security-token',
  'position',
  'img',
  'style',
  'styleName',
  'replication',
  'replicationProgress',
  'replicationLocation',
  'cname',
  'bucketInfo',
  'comp',
  'qos',
  'live',
  'status',
  'vod',
  'startTime',
  'endTime',
  'symlink',
  'x-oss-process',
  'response-content-type',
  'response-content-language',
  'response-expires',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'udf',
  'udfName',
  'udfImage',
  'udfId',
  'udfImageDesc',
  'udfApplication',
  'udfApplicationLog',
  'restore',
  'callback',
  'callback-var',
  'continuation-token',
  'versionId',
  'versioning',
  'versions',
  'encryption',
  'policy',
  'requestPayment',
  'worm',
  'wormId',
  'wormExtend',
  'asyncFetch',
  'sequential',
]);

function canonicalResource(bucket: string, key: string, query: URLSearchParams): string {
  const subs = [...new Set([...query.keys()].filter((k) => SUB_RESOURCES.has(k)))].sort();
  const resource = bucket ? `/${bucket}/${key}` : '/';
  if (subs.length === 0) return resource;
  return `${resource}?${subs.map((k) => (query.get(k) ? `${k}=${query.get(k)}` : k)).join('&')}`;
}

function signV1(secret: string, text: string): string {
  return createHmac('sha1', secret).update(Buffer.from(text, 'utf8')).digest('base64');
}

const mismatch = () =>
  new OssError(
    403,
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  );

function secretOf(credentials: Credentials, accessKeyId: string): string {
  const secret = credentials.get(accessKeyId);
  if (secret === undefined)
    throw new OssError(403, 'InvalidAccessKeyId', `The OSS Access Key Id you provided does not exist in our records: ${accessKeyId}`);
  return secret;
}

function checkSkew(dateMs: number, realNowMs: number): void {
  if (!Number.isFinite(dateMs)) throw new OssError(403, 'AccessDenied', 'The request carries no valid Date or x-oss-date header.');
  if (Math.abs(dateMs - realNowMs) > MAX_SKEW_MS)
    throw new OssError(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', {
      RequestTime: new Date(dateMs).toISOString(),
      ServerTime: new Date(realNowMs).toISOString(),
      MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
    });
}

/** RFC 3986 encoding (unreserved characters only left as they are), as V4 canonicalization wants. */
function uriEncode(s: string, keepSlash: boolean): string {
  const e = encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return keepSlash ? e.replace(/%2F/g, '/') : e;
}

function decodePart(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `20250102T030405Z` -> epoch ms. */
function parseV4Date(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

function verifyV4(
  method: string,
  bucket: string,
  key: string,
  rawQuery: string,
  headers: IncomingHttpHeaders,
  credentials: Credentials,
  parts: { credential: string; date: string; additional: string; signature: string; payload: string },
): string {
  const [accessKeyId, day, region, product, terminator, ...extra] = parts.credential.split('/');
  if (!accessKeyId || extra.length || product !== 'oss' || terminator !== 'aliyun_v4_request' || day !== parts.date.slice(0, 8))
    throw new OssError(400, 'InvalidArgument', `Invalid credential scope: ${parts.credential}`);
  if (region !== OSS_REGION)
    throw new OssError(400, 'InvalidArgument', `Invalid signing region in Authorization: ${region}; this endpoint is ${OSS_REGION}.`);
  const secret = secretOf(credentials, accessKeyId);
  const additional = parts.additional
    .split(';')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean)
    .sort();
  const canonicalUri = uriEncode(bucket ? `/${bucket}/${key}` : '/', true);
  const canonicalQuery = rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf('=');
      const [k, v] = at < 0 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)];
      return [uriEncode(decodePart(k), false), uriEncode(decodePart(v), false)];
    })
    .filter(([k]) => k !== 'x-oss-signature')
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => (v ? `${k}=${v}` : k))
    .join('&');
  const canonicalHeaders = Object.keys(headers)
    .filter((h) => h.startsWith('x-oss-') || h === 'content-type' || h === 'content-md5' || additional.includes(h))
    .sort()
    .map((h) => `${h}:${header(headers, h).trim()}\n`)
    .join('');
  const canonicalRequest = `${method}\n${canonicalUri}\n${canonicalQuery}\n${canonicalHeaders}\n${additional.join(';')}\n${parts.payload}`;
  const scope = `${day}/${region}/oss/aliyun_v4_request`;
  const stringToSign = `OSS4-HMAC-SHA256\n${parts.date}\n${scope}\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
  let signingKey = createHmac('sha256', `aliyun_v4${secret}`).update(day).digest();
  for (const step of [region, 'oss', 'aliyun_v4_request']) signingKey = createHmac('sha256', signingKey).update(step).digest();
  if (!safeEqual(createHmac('sha256', signingKey).update(stringToSign).digest('hex'), parts.signature)) throw mismatch();
  return accessKeyId;
}

export interface OssRequestAuth {
  method: string;
  /** '' for service-level requests. */
  bucket: string;
  key: string;
  /** The query string exactly as sent (V4 signs it). */
  rawQuery: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

/**
 * Checks a request's header or URL signature and returns the caller's access key id; throws the
 * OssError the real service would answer with. `clockMs` is the stand-in's clock (URL expiry),
 * `realNowMs` real time (request-date skew).
 */
export function verifyOss(r: OssRequestAuth, credentials: Credentials, clockMs: number, realNowMs = Date.now()): string {
  const { method, bucket, key, query, headers } = r;
  const auth = header(headers, 'authorization');
  if (auth.startsWith('OSS4-HMAC-SHA256 ')) {
    const fields = new Map(
      auth
        .slice('OSS4-HMAC-SHA256 '.length)
        .split(',')
        .map((f) => f.trim().split('=') as [string, string]),
    );
    const date = header(headers, 'x-oss-date');
    checkSkew(parseV4Date(date), realNowMs);
    return verifyV4(method, bucket, key, r.rawQuery, headers, credentials, {
      credential: fields.get('Credential') ?? '',
      date,
      additional: fields.get('AdditionalHeaders') ?? '',
      signature: fields.get('Signature') ?? '',
      payload: header(headers, 'x-oss-content-sha256') || 'UNSIGNED-PAYLOAD',
    });
  }
  if (auth) {
    const m = /^OSS ([^:]+):(.+)$/.exec(auth);
    if (!m) throw new OssError(400, 'InvalidArgument', 'Authorization header is invalid.');
    const secret = secretOf(credentials, m[1]);
    const date = header(headers, 'x-oss-date') || header(headers, 'date');
    const text = [
      method,
      header(headers, 'content-md5'),
      header(headers, 'content-type'),
      date,
      ...ossHeaderLines(headers),
      canonicalResource(bucket, key, query),
    ].join('\n');
    if (!safeEqual(signV1(secret, text), m[2])) throw mismatch();
    checkSkew(Date.parse(date), realNowMs);
    return m[1];
  }
  if (query.get('x-oss-signature-version') === 'OSS4-HMAC-SHA256') {
    const date = query.get('x-oss-date') ?? '';
    const expires = Number(query.get('x-oss-expires') ?? 'x');
    if (!Number.isInteger(expires) || expires <= 0 || expires > MAX_V4_EXPIRES_SECONDS)
      throw new OssError(400, 'InvalidArgument', `x-oss-expires must be 1 to ${MAX_V4_EXPIRES_SECONDS} seconds.`);
    const accessKeyId = verifyV4(method, bucket, key, r.rawQuery, headers, credentials, {
      credential: query.get('x-oss-credential') ?? '',
      date,
      additional: query.get('x-oss-additional-headers') ?? '',
      signature: query.get('x-oss-signature') ?? '',
      payload: 'UNSIGNED-PAYLOAD',
    });
    if (parseV4Date(date) + expires * 1000 < clockMs) throw new OssError(403, 'AccessDenied', 'Request has expired.');
    return accessKeyId;
  }
  const ak = query.get('OSSAccessKeyId');
  if (ak) {
    const secret = secretOf(credentials, ak);
    const expires = query.get('Expires') ?? '';
    const text = [
      method,
      header(headers, 'content-md5'),
      header(headers, 'content-type'),
      expires,
      ...ossHeaderLines(headers),
      canonicalResource(bucket, key, query),
    ].join('\n');
    if (!safeEqual(signV1(secret, text), query.get('Signature') ?? '')) throw mismatch();
    if (!/^\d+$/.test(expires) || Number(expires) * 1000 < clockMs)
      throw new OssError(403, 'AccessDenied', `Request has expired: Expires ${expires}, now ${Math.floor(clockMs / 1000)}.`);
    return ak;
  }
  throw new OssError(403, 'AccessDenied', 'You have no right to access this object because of bucket acl.');
}

function ossHeaderLines(headers: IncomingHttpHeaders): string[] {
  return Object.keys(headers)
    .filter((h) => h.startsWith('x-oss-'))
    .sort()
    .map((h) => `${h}:${header(headers, h).trim()}`);
}

/** A V1 signed GET URL, the form of the provider's result URLs (see the document's example). */
export function signGetUrl(
  endpoint: string,
  bucket: string,
  key: string,
  accessKeyId: string,
  secret: string,
  expiresAtSeconds: number,
): string {
  const text = ['GET', '', '', String(expiresAtSeconds), `/${bucket}/${key}`].join('\n');
  const path = `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  const q = new URLSearchParams({ OSSAccessKeyId: accessKeyId, Expires: String(expiresAtSeconds), Signature: signV1(secret, text) });
  return `${endpoint}/${path}?${q.toString()}`;
}
