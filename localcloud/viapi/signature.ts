// Verifies the signatures Alibaba's RPC clients send: ACS3-HMAC-SHA256 (their default), ACS3-HMAC-SM3,
// and the legacy v2 (HMAC-SHA1 over the sorted parameters). Also refuses what the real gateway refuses
// around them: a request dated more than 15 minutes off, and a signature nonce used before.
import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { headerValue as header, safeEqual } from '../http';

export type Credentials = ReadonlyMap<string, string>; // accessKeyId -> secret

export class SignatureError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** RFC 3986 encoding as Alibaba's clients do it. */
export function acsEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const MAX_SKEW_MS = 15 * 60 * 1000;

/**
 * Remembers signature nonces for as long as a request carrying them could still be accepted.
 * Request dates are judged against real time, not the stand-in's movable clock: the client's clock
 * cannot follow it, and moving it must not make every client look skewed.
 */
export class RequestGuard {
  private readonly seen = new Map<string, number>();

  constructor(private readonly realNow: () => number = Date.now) {}

  checkDate(raw: string, field: string): void {
    const t = Date.parse(raw);
    if (!raw || !Number.isFinite(t)) throw new SignatureError(400, 'InvalidTimeStamp.Format', `Specified ${field} is not valid: ${raw}`);
    if (Math.abs(t - this.realNow()) > MAX_SKEW_MS)
      throw new SignatureError(400, 'InvalidTimeStamp.Expired', `Specified time stamp or date value is expired: ${field} ${raw}.`);
  }

  useNonce(accessKeyId: string, nonce: string): void {
    if (!nonce) throw new SignatureError(400, 'MissingSignatureNonce', 'SignatureNonce is mandatory for this action.');
    const now = this.realNow();
    if (this.seen.size > 10_000) for (const [k, until] of this.seen) if (until < now) this.seen.delete(k);
    const key = `${accessKeyId}\n${nonce}`;
    if ((this.seen.get(key) ?? 0) >= now)
      throw new SignatureError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
    this.seen.set(key, now + 2 * MAX_SKEW_MS);
  }
}

function secretOf(credentials: Credentials, accessKeyId: string): string {
  const secret = credentials.get(accessKeyId);
  if (secret === undefined) throw new SignatureError(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
  return secret;
}

const mismatch = () => new SignatureError(400, 'SignatureDoesNotMatch', 'Specified signature does not match our calculation.');

const ACS3 = /^(ACS3-HMAC-SHA256|ACS3-HMAC-SM3) +Credential=([^,]+), *SignedHeaders=([^,]*), *Signature=([0-9a-f]+)$/;
/** Headers a signature must cover, or a captured request could be replayed with another date or body. */
const MUST_SIGN = ['x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256'];

/** Verifies an ACS3 `Authorization` header; returns the caller's access key id. */
export function verifyAcs3(
  method: string,
  pathname: string,
  query: URLSearchParams,
  headers: IncomingHttpHeaders,
  body: Buffer,
  credentials: Credentials,
  guard: RequestGuard,
): string {
  const m = ACS3.exec(header(headers, 'authorization'));
  if (!m) throw new SignatureError(400, 'IncompleteSignature', 'The request signature does not conform to Aliyun standards.');
  const [, algorithm, accessKeyId, signedHeaders, signature] = m;
  const secret = secretOf(credentials, accessKeyId);
  const hash = algorithm === 'ACS3-HMAC-SM3' ? 'sm3' : 'sha256';
  const names = signedHeaders.split(';').filter(Boolean);
  if (MUST_SIGN.some((n) => !names.includes(n)))
    throw new SignatureError(400, 'IncompleteSignature', `SignedHeaders must include ${MUST_SIGN.join(', ')}.`);
  // Both SDK families send the body's hash under this name, whichever the algorithm.
  const payloadHash = header(headers, 'x-acs-content-sha256');
  if (payloadHash !== createHash(hash).update(body).digest('hex')) throw mismatch();
  const canonicalQuery = [...new Set(query.keys())]
    .sort()
    .map((k) => `${acsEncode(k)}=${acsEncode(query.get(k) ?? '')}`)
    .join('&');
  const canonicalHeaders = names.map((n) => `${n}:${header(headers, n).trim()}\n`).join('');
  const canonicalRequest = `${method}\n${pathname}\n${canonicalQuery}\n${canonicalHeaders}\n${names.join(';')}\n${payloadHash}`;
  const stringToSign = `${algorithm}\n${createHash(hash).update(canonicalRequest).digest('hex')}`;
  if (!safeEqual(createHmac(hash, secret).update(stringToSign).digest('hex'), signature)) throw mismatch();
  guard.checkDate(header(headers, 'x-acs-date'), 'x-acs-date');
  guard.useNonce(accessKeyId, header(headers, 'x-acs-signature-nonce'));
  return accessKeyId;
}

/** Legacy RPC signature: HMAC-SHA1 over `METHOD&%2F&<encoded sorted params>` with key `secret&`. */
export function verifyV2(method: string, params: Map<string, string>, credentials: Credentials, guard: RequestGuard): string {
  for (const name of ['AccessKeyId', 'Timestamp', 'SignatureNonce'])
    if (!params.get(name)) throw new SignatureError(400, `Missing${name}`, `${name} is mandatory for this action.`);
  const method_ = params.get('SignatureMethod') ?? 'HMAC-SHA1';
  if (method_ !== 'HMAC-SHA1')
    throw new SignatureError(400, 'InvalidSignatureMethod', `Specified signature method ${method_} is not supported.`);
  const accessKeyId = params.get('AccessKeyId') as string;
  const secret = secretOf(credentials, accessKeyId);
  const canonical = [...params.keys()]
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${acsEncode(k)}=${acsEncode(params.get(k) ?? '')}`)
    .join('&');
  const stringToSign = `${method}&${acsEncode('/')}&${acsEncode(canonical)}`;
  if (!safeEqual(createHmac('sha1', `${secret}&`).update(stringToSign).digest('base64'), params.get('Signature') ?? '')) throw mismatch();
  guard.checkDate(params.get('Timestamp') as string, 'Timestamp');
  guard.useNonce(accessKeyId, params.get('SignatureNonce') as string);
  return accessKeyId;
}
