// Verifies the two signatures Alibaba's RPC clients send: ACS3-HMAC-SHA256 (default) and the legacy v2 (HMAC-SHA1).
import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { headerValue as header, safeEqual } from '../http';

export type Credentials = ReadonlyMap<string, string>; // accessKeyId -> secret

export type SignatureResult =
  | { ok: true; accessKeyId: string }
  | {
      ok: false;
      status: number;
      code: 'InvalidAccessKeyId.NotFound' | 'SignatureDoesNotMatch' | 'MissingAuthorization' | 'InvalidParameter';
      message: string;
    };

/** RFC 3986 encoding as Alibaba's clients do it. */
export function acsEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/!/g, '%21')
    .replace(/'/g, '%27')
    .replace(/\(/g, '%28')
    .replace(/\)/g, '%29')
    .replace(/\*/g, '%2A');
}

export function verifyAcs3(
  method: string,
  pathname: string,
  query: URLSearchParams,
  headers: IncomingHttpHeaders,
  body: Buffer,
  credentials: Credentials,
): SignatureResult {
  const auth = header(headers, 'authorization');
  const m = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]*),Signature=([0-9a-f]+)$/.exec(auth);
  if (!m) return { ok: false, status: 400, code: 'InvalidParameter', message: 'Authorization header is not ACS3-HMAC-SHA256' };
  const [, accessKeyId, signedHeaders, signature] = m;
  const secret = credentials.get(accessKeyId);
  if (secret === undefined)
    return { ok: false, status: 404, code: 'InvalidAccessKeyId.NotFound', message: `Specified access key is not found: ${accessKeyId}` };
  const payloadHash = header(headers, 'x-acs-content-sha256');
  if (payloadHash !== createHash('sha256').update(body).digest('hex')) {
    return { ok: false, status: 400, code: 'SignatureDoesNotMatch', message: 'x-acs-content-sha256 does not match the request body' };
  }
  const names = signedHeaders.split(';').filter(Boolean);
  const canonicalQuery = [...query.keys()]
    .sort()
    .map((k) => `${k}=${acsEncode(query.get(k) ?? '')}`)
    .join('&');
  const canonicalHeaders = names.map((n) => `${n}:${header(headers, n).trim()}\n`).join('');
  const canonicalRequest = `${method}\n${pathname}\n${canonicalQuery}\n${canonicalHeaders}\n${names.join(';')}\n${payloadHash}`;
  const stringToSign = `ACS3-HMAC-SHA256\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
  const expected = createHmac('sha256', secret).update(stringToSign).digest('hex');
  if (!safeEqual(expected, signature)) {
    return { ok: false, status: 400, code: 'SignatureDoesNotMatch', message: 'Specified signature does not match our calculation.' };
  }
  return { ok: true, accessKeyId };
}

/** Legacy RPC signature: HMAC-SHA1 over `METHOD&%2F&<encoded sorted params>` with key `secret&`. */
export function verifyV2(method: string, params: Map<string, string>, credentials: Credentials): SignatureResult {
  const accessKeyId = params.get('AccessKeyId') ?? '';
  const signature = params.get('Signature') ?? '';
  const secret = credentials.get(accessKeyId);
  if (secret === undefined)
    return { ok: false, status: 404, code: 'InvalidAccessKeyId.NotFound', message: `Specified access key is not found: ${accessKeyId}` };
  const canonical = [...params.keys()]
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${acsEncode(k)}=${acsEncode(params.get(k) ?? '')}`)
    .join('&');
  const stringToSign = `${method}&${acsEncode('/')}&${acsEncode(canonical)}`;
  const expected = createHmac('sha1', `${secret}&`).update(stringToSign).digest('base64');
  if (!safeEqual(expected, signature)) {
    return { ok: false, status: 400, code: 'SignatureDoesNotMatch', message: 'Specified signature does not match our calculation.' };
  }
  return { ok: true, accessKeyId };
}
