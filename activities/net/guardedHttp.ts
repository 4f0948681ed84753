// vsr's one HTTP client for URLs it did not configure itself (source URLs, result URLs): http(s) only, every
// address checked after DNS resolution and again on every redirect (a bounded number), the connection made to
// the very address that was checked (no second lookup for DNS rebinding to change), and answers bounded in size.
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Readable, Transform } from 'node:stream';
import { redactUrl } from '../../workflows/locations';
import { allowed, classifyAddress, type AllowRule } from './addresses';

export type Lookup = (host: string) => Promise<Array<{ address: string; family: number }>>;

export interface UrlPolicy {
  /** Non-public addresses that may be fetched (VSR_ALLOW_PRIVATE_URLS, the local stand-in's OSS, the embedded stack's loopback). */
  allow: readonly AllowRule[];
  maxRedirects?: number;
  /** Largest body one answer may carry; a longer one is cut with an error. */
  maxBytes?: number;
  timeoutMs?: number;
  /** DNS resolution; tests inject names here. Default: the system resolver. */
  lookup?: Lookup;
}

export const URL_DEFAULTS = { maxRedirects: 5, maxBytes: 1024 * 1024 * 1024 + 1024 * 1024, timeoutMs: 60_000 } as const;

/**
 * Why a URL was not fetched. `refused`: vsr would not go there; `unreachable`: it tried and could not (no such host,
 * nothing listening, an HTTP error); `transient`: worth another try (a reset, a timeout, a 5xx or 429 answer).
 */
export class UrlError extends Error {
  constructor(
    readonly reason: 'refused' | 'unreachable' | 'transient' | 'too-large',
    message: string,
  ) {
    super(message);
  }

  /** What the shared retry (`provider/retry`'s isTransient) looks for. */
  get transient(): boolean {
    return this.reason === 'transient';
  }
}

/** Network errors worth another try; the rest (no such host, connection refused) are the URL's fault. */
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH']);

/** An HTTP status as a UrlError: 5xx and 429 are worth another try, other failures are the URL's. */
export function httpStatusError(status: number): UrlError {
  return new UrlError(status >= 500 || status === 429 ? 'transient' : 'unreachable', `answered HTTP ${status}`);
}

const systemLookup: Lookup = (host) => dns.promises.lookup(host, { all: true });

/** The address to connect to for a URL, after checking every address its host stands for. */
async function checkedAddress(url: URL, policy: UrlPolicy): Promise<string> {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  let addresses: string[];
  if (net.isIP(host)) addresses = [host];
  else if (host === 'localhost' || host.endsWith('.localhost'))
    addresses = ['127.0.0.1', '::1']; // RFC 6761: never asked of DNS
  else {
    try {
      addresses = (await (policy.lookup ?? systemLookup)(host)).map((a) => a.address);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UrlError(code === 'EAI_AGAIN' ? 'transient' : 'unreachable', `cannot resolve ${host} (${code ?? (err as Error).message})`);
    }
  }
  if (addresses.length === 0) throw new UrlError('unreachable', `cannot resolve ${host}`);
  // Every address must pass: a name that also resolves to an internal address is refused, whichever one would be used.
  for (const address of addresses) {
    const kind = classifyAddress(address);
    if (kind !== 'public' && !allowed(policy.allow, host, address, port))
      throw new UrlError(
        'refused',
        `${host}:${port} resolves to ${address}, a ${kind} address; vsr fetches only public addresses unless VSR_ALLOW_PRIVATE_URLS allows it`,
      );
  }
  return addresses[0];
}

function request(url: URL, address: string, headers: Record<string, string>, policy: UrlPolicy, signal?: AbortSignal) {
  const family = net.isIP(address);
  // The checked address, whatever DNS would say now: the name stays in Host and TLS SNI.
  const lookup = (_host: string, options: { all?: boolean }, cb: (...args: unknown[]) => void) =>
    options.all ? cb(null, [{ address, family }]) : cb(null, address, family);
  const timeout = policy.timeoutMs ?? URL_DEFAULTS.timeoutMs;
  return new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).get(url, { lookup, signal, timeout, headers } as http.RequestOptions, resolve);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeout / 1000} s`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const transient = !err.code || TRANSIENT_CODES.has(err.code);
      reject(
        signal?.aborted ? err : new UrlError(transient ? 'transient' : 'unreachable', `${redactUrl(url.href)}: ${err.code ?? err.message}`),
      );
    });
  });
}

export interface GuardedAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body, cut with a 'too-large' UrlError beyond the policy's maxBytes. */
  body: Readable;
  /** Where the answer came from after redirects. */
  url: string;
}

/** GET with the checks above. Redirects are followed (each hop checked); the final answer's status is the caller's to judge. */
export async function guardedGet(
  target: string,
  policy: UrlPolicy,
  o: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<GuardedAnswer> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new UrlError('refused', `${redactUrl(target)} is not a URL`);
  }
  const maxRedirects = policy.maxRedirects ?? URL_DEFAULTS.maxRedirects;
  for (let redirects = 0; ; redirects++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new UrlError('refused', `${redactUrl(url.href)}: the scheme ${url.protocol} is not fetched (http and https only)`);
    if (url.username || url.password) throw new UrlError('refused', `${redactUrl(url.href)} carries a user name or password`);
    const res = await request(url, await checkedAddress(url, policy), o.headers ?? {}, policy, o.signal);
    const status = res.statusCode ?? 0;
    if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
      res.resume();
      if (redirects >= maxRedirects) throw new UrlError('unreachable', `more than ${maxRedirects} redirects (a redirect loop?)`);
      url = new URL(res.headers.location, url);
      continue;
    }
    return { status, headers: res.headers, body: bounded(res, policy.maxBytes ?? URL_DEFAULTS.maxBytes), url: url.href };
  }
}

function bounded(res: http.IncomingMessage, maxBytes: number): Readable {
  const declared = Number(res.headers['content-length'] ?? 0);
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      cb(bytes > maxBytes ? new UrlError('too-large', `the answer is larger than ${maxBytes} bytes`) : null, chunk);
    },
  });
  if (declared > maxBytes) {
    res.destroy();
    counter.destroy(new UrlError('too-large', `the answer declares ${declared} bytes, more than ${maxBytes}`));
    return counter;
  }
  res.on('error', (err) => counter.destroy(err));
  counter.on('close', () => res.destroy());
  return res.pipe(counter);
}

/** `guardedGet` as a WHATWG Response, for code written against `fetch`. */
export async function guardedFetch(
  target: string,
  policy: UrlPolicy,
  init: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Response> {
  const a = await guardedGet(target, policy, init);
  const headers = new Headers();
  for (const [k, v] of Object.entries(a.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
  const body = a.status === 204 || a.status === 304 ? null : (Readable.toWeb(a.body) as ReadableStream<Uint8Array>);
  return new Response(body, { status: a.status, headers });
}
