// OSS v1 signatures: `Authorization: OSS ak:sig` headers and signed URLs (OSSAccessKeyId/Expires/Signature).
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { headerValue as header, safeEqual } from '../http';
import type { Credentials } from '../viapi/signature';

/** Query keys OSS counts as sub-resources (the only query keys that enter the string to sign). */
const SUB_RESOURCES = new Set([
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

export type OssAuth = { ok: true; accessKeyId: string; viaUrl: boolean } | { ok: false; status: number; code: string; message: string };

function canonicalResource(bucket: string, key: string, query: URLSearchParams): string {
  const subs = [...new Set([...query.keys()].filter((k) => SUB_RESOURCES.has(k)))].sort();
  const resource = `/${bucket}/${key}`;
  if (subs.length === 0) return resource;
  return `${resource}?${subs.map((k) => (query.get(k) ? `${k}=${query.get(k)}` : k)).join('&')}`;
}

function sign(secret: string, text: string): string {
  return createHmac('sha1', secret).update(Buffer.from(text, 'utf8')).digest('base64');
}

/**
 * Checks the request's header or URL signature. `bucket`/`key` are the decoded path parts;
 * `nowSeconds` is the stand-in's clock, so tests can expire URLs without waiting.
 */
export function verifyOss(
  method: string,
  bucket: string,
  key: string,
  query: URLSearchParams,
  headers: IncomingHttpHeaders,
  credentials: Credentials,
  nowSeconds: number,
): OssAuth {
  const lowerOss = Object.keys(headers)
    .filter((h) => h.startsWith('x-oss-'))
    .sort()
    .map((h) => `${h}:${header(headers, h).trim()}`);
  const resource = canonicalResource(bucket, key, query);
  const auth = header(headers, 'authorization');
  if (auth) {
    const m = /^OSS ([^:]+):(.+)$/.exec(auth);
    if (!m) return { ok: false, status: 400, code: 'InvalidArgument', message: 'Authorization header is not OSS v1' };
    const secret = credentials.get(m[1]);
    if (secret === undefined)
      return {
        ok: false,
        status: 403,
        code: 'InvalidAccessKeyId',
        message: `The OSS Access Key Id you provided does not exist in our records: ${m[1]}`,
      };
    const date = header(headers, 'x-oss-date') || header(headers, 'date');
    const text = [method, header(headers, 'content-md5'), header(headers, 'content-type'), date, ...lowerOss, resource].join('\n');
    if (!safeEqual(sign(secret, text), m[2]))
      return {
        ok: false,
        status: 403,
        code: 'SignatureDoesNotMatch',
        message: 'The request signature we calculated does not match the signature you provided.',
      };
    return { ok: true, accessKeyId: m[1], viaUrl: false };
  }
  const ak = query.get('OSSAccessKeyId');
  if (ak) {
    const secret = credentials.get(ak);
    if (secret === undefined)
      return {
        ok: false,
        status: 403,
        code: 'InvalidAccessKeyId',
        message: `The OSS Access Key Id you provided does not exist in our records: ${ak}`,
      };
    const expires = query.get('Expires') ?? '';
    const text = [method, header(headers, 'content-md5'), header(headers, 'content-type'), expires, ...lowerOss, resource].join('\n');
    if (!safeEqual(sign(secret, text), query.get('Signature') ?? '')) {
      return {
        ok: false,
        status: 403,
        code: 'SignatureDoesNotMatch',
        message: 'The request signature we calculated does not match the signature you provided.',
      };
    }
    if (!/^\d+$/.test(expires) || Number(expires) < nowSeconds) {
      return { ok: false, status: 403, code: 'AccessDenied', message: `Request has expired: Expires ${expires}, now ${nowSeconds}` };
    }
    return { ok: true, accessKeyId: ak, viaUrl: true };
  }
  return { ok: false, status: 403, code: 'AccessDenied', message: 'You have no right to access this object because of bucket acl.' };
}

/** A signed GET URL, the way ali-oss's signatureUrl makes one; used for result URLs. */
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
  const q = new URLSearchParams({ OSSAccessKeyId: accessKeyId, Expires: String(expiresAtSeconds), Signature: sign(secret, text) });
  return `${endpoint}/${path}?${q.toString()}`;
}
