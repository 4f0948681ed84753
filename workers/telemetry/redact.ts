// Secrets and signed URLs out of every log record: one function, applied by the logger to messages and metadata.

export const REDACTED = '[REDACTED]';

/** Query parameters that make a URL a credential: OSS V1/V4 and STS signatures, tokens, other clouds' equivalents. */
const SIGNED_PARAM =
  /([?&](?:Signature|OSSAccessKeyId|security-token|SecurityToken|x-oss-[A-Za-z0-9-]+|X-Amz-[A-Za-z0-9-]+|sig|token|access_token)=)[^&#\s"'<>]*/gi;
/** Authorization header values: bearer tokens, OSS V1 (`OSS id:signature`), OSS V4 and ACS3 signatures. */
const AUTH_VALUES = [
  /\b(Bearer)\s+[A-Za-z0-9._~+/=-]+/gi,
  /\b(OSS)\s+[A-Za-z0-9]+:[A-Za-z0-9+/=]+/g,
  /\b(OSS4-HMAC-SHA256|ACS3-HMAC-SHA256|ACS3-HMAC-SM3)\s+[^"'\r\n]*/g,
];
/** Metadata keys whose values are secret whatever they hold. */
const SECRET_KEY = /secret|password|passwd|token|authorization|api[-_]?key|credential|signature|cookie/i;

export interface Redactor {
  text(s: string): string;
  /** A deep copy of a log record's metadata with secrets replaced (errors become plain objects). */
  value(v: unknown): unknown;
}

/** `secrets`: literal values (access key secrets, API keys) to hide wherever they appear; short ones are ignored. */
export function makeRedactor(secrets: Array<string | undefined>): Redactor {
  const literals = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= 8))].sort(
    (a, b) => b.length - a.length,
  );
  function text(s: string): string {
    let out = s.replace(SIGNED_PARAM, `$1${REDACTED}`);
    for (const re of AUTH_VALUES) out = out.replace(re, `$1 ${REDACTED}`);
    for (const l of literals) out = out.split(l).join(REDACTED);
    return out;
  }
  function value(v: unknown, depth = 0): unknown {
    if (typeof v === 'string') return text(v);
    if (v === null || typeof v !== 'object') return v;
    if (depth > 8) return '[too deep]';
    if (v instanceof Error) {
      const e = v as Error & { type?: string; cause?: unknown };
      return value({ name: e.name, type: e.type, message: e.message, stack: e.stack, cause: e.cause }, depth);
    }
    if (Array.isArray(v)) return v.map((x) => value(x, depth + 1));
    if (Buffer.isBuffer(v) || ArrayBuffer.isView(v)) return `[${v.byteLength} bytes]`;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) continue;
      out[k] = SECRET_KEY.test(k) && x !== null && x !== '' ? REDACTED : value(x, depth + 1);
    }
    return out;
  }
  return { text, value: (v) => value(v) };
}
