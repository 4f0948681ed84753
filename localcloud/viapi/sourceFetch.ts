// How the provider fetches a job's VideoUrl. The real one fetches from the public internet and cannot
// reach the caller's machine or private network; the stand-in runs on that machine, so it refuses what
// the real one could not reach: private, link-local and other non-public addresses, checked after DNS
// resolution and again on every redirect, and loopback except its own OSS and an explicit allow-list.
// The connection goes to the address that was checked (no second lookup a DNS rebinding could change).
import dns from 'node:dns';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Refusal } from '../media/rules';

export type AddressKind = 'public' | 'loopback' | 'private' | 'link-local' | 'reserved';

const ranges: Array<[AddressKind, string, number, 'ipv4' | 'ipv6']> = [
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  ['private', '10.0.0.0', 8, 'ipv4'],
  ['private', '172.16.0.0', 12, 'ipv4'],
  ['private', '192.168.0.0', 16, 'ipv4'],
  ['private', '100.64.0.0', 10, 'ipv4'], // carrier-grade NAT
  ['link-local', '169.254.0.0', 16, 'ipv4'], // includes the cloud metadata address 169.254.169.254
  ['reserved', '0.0.0.0', 8, 'ipv4'],
  ['reserved', '192.0.0.0', 24, 'ipv4'],
  ['reserved', '192.0.2.0', 24, 'ipv4'],
  ['reserved', '198.18.0.0', 15, 'ipv4'],
  ['reserved', '198.51.100.0', 24, 'ipv4'],
  ['reserved', '203.0.113.0', 24, 'ipv4'],
  ['reserved', '224.0.0.0', 4, 'ipv4'], // multicast
  ['reserved', '240.0.0.0', 4, 'ipv4'], // reserved and broadcast
  ['loopback', '::1', 128, 'ipv6'],
  ['reserved', '::', 128, 'ipv6'],
  ['private', 'fc00::', 7, 'ipv6'],
  ['link-local', 'fe80::', 10, 'ipv6'],
  ['reserved', 'ff00::', 8, 'ipv6'],
  ['reserved', '2001:db8::', 32, 'ipv6'],
];
const lists = new Map<AddressKind, net.BlockList>();
for (const [kind, network, prefix, type] of ranges) {
  const list = lists.get(kind) ?? new net.BlockList();
  list.addSubnet(network, prefix, type);
  lists.set(kind, list);
}

/** Which kind of network an IP address belongs to (IPv4-mapped and NAT64 IPv6 addresses by their IPv4 part). */
export function classifyAddress(address: string): AddressKind {
  const ip = address.replace(/^\[|\]$/g, '').toLowerCase();
  const family = net.isIP(ip);
  if (family === 0) return 'reserved';
  if (family === 6) {
    const embedded = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
    if (embedded) return classifyAddress(embedded[1]);
    const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(ip);
    if (hex) {
      const n = (parseInt(hex[1], 16) << 16) | parseInt(hex[2], 16);
      return classifyAddress([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.'));
    }
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [kind, list] of lists) if (list.check(ip, type)) return kind;
  return 'public';
}

export type Lookup = (host: string) => Promise<Array<{ address: string; family: number }>>;

export interface SourceFetchOptions {
  /** Loopback `host:port` patterns the stand-in may fetch from; `*` matches any host or any port. */
  allowLoopback: readonly string[];
  /** The stand-in's own OSS port: always fetched (its result and upload URLs live there). */
  ossPort: () => number;
  /** Ports never fetched: the stand-in's VIAPI and admin port. */
  refusedPorts: () => readonly number[];
  maxBytes: number;
  maxRedirects: number;
  /** DNS resolution (tests inject names; default: the system resolver). */
  lookup?: Lookup;
}

export class FetchRefused extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.message);
  }
}

const downloadFailed = (reason: string) =>
  new FetchRefused({ code: 'InvalidImage.Download', message: `videoUrl download failed: ${reason}` });

function tooLarge(bytes: number, max: number): FetchRefused {
  return new FetchRefused({
    code: 'InvalidFile.Size',
    message: `视频大小不超过1 GB: the video is more than ${max} bytes (${bytes} seen).`,
  });
}

const systemLookup: Lookup = (host) => dns.promises.lookup(host, { all: true });

function allowListed(patterns: readonly string[], host: string, port: number): boolean {
  return patterns.some((p) => {
    const at = p.lastIndexOf(':');
    const [h, pt] = at < 0 ? [p, '*'] : [p.slice(0, at), p.slice(at + 1)];
    return (h === '*' || h.replace(/^\[|\]$/g, '').toLowerCase() === host) && (pt === '*' || Number(pt) === port);
  });
}

/** The addresses a URL's host stands for, each checked; throws a refusal before anything is sent. */
async function checkedAddresses(url: URL, port: number, o: SourceFetchOptions): Promise<string[]> {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  let addresses: string[];
  if (net.isIP(host)) addresses = [host];
  else if (host === 'localhost' || host.endsWith('.localhost'))
    addresses = ['127.0.0.1']; // RFC 6761
  else {
    try {
      addresses = (await (o.lookup ?? systemLookup)(host)).map((a) => a.address);
    } catch (err) {
      throw downloadFailed(`cannot resolve ${host}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  if (addresses.length === 0) throw downloadFailed(`cannot resolve ${host}`);
  for (const address of addresses) {
    const kind = classifyAddress(address);
    if (kind === 'public') continue;
    if (kind === 'loopback' && !o.refusedPorts().includes(port)) {
      if (port === o.ossPort() || allowListed(o.allowLoopback, host, port)) continue;
    }
    throw downloadFailed(`${host}:${port} resolves to ${address}, a ${kind} address the provider cannot reach`);
  }
  return addresses;
}

function get(url: URL, address: string, signal: AbortSignal): Promise<http.IncomingMessage> {
  const family = net.isIP(address);
  const lookup = (_host: string, options: { all?: boolean }, cb: (...args: unknown[]) => void) =>
    options.all ? cb(null, [{ address, family }]) : cb(null, address, family);
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).get(url, { lookup, signal, timeout: 60_000 } as http.RequestOptions, resolve);
    req.on('timeout', () => req.destroy(new Error('no answer within 60 s')));
    req.on('error', reject);
  });
}

/** Downloads `videoUrl` to `file`; returns its size. Throws FetchRefused with the provider's code. */
export async function fetchSource(videoUrl: string, file: string, o: SourceFetchOptions, signal: AbortSignal): Promise<number> {
  let url: URL;
  try {
    url = new URL(videoUrl);
  } catch {
    throw downloadFailed('not a URL');
  }
  for (let redirects = 0; ; redirects++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw downloadFailed(`unsupported scheme ${url.protocol}`);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const [address] = await checkedAddresses(url, port, o);
    let res: http.IncomingMessage;
    try {
      res = await get(url, address, signal);
    } catch (err) {
      throw downloadFailed((err as Error).message);
    }
    const status = res.statusCode ?? 0;
    if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
      res.resume();
      if (redirects >= o.maxRedirects) throw downloadFailed(`more than ${o.maxRedirects} redirects`);
      url = new URL(res.headers.location, url);
      continue;
    }
    if (status !== 200) {
      res.resume();
      throw downloadFailed(`HTTP ${status}`);
    }
    const declared = Number(res.headers['content-length'] ?? 0);
    if (declared > o.maxBytes) {
      res.destroy();
      throw tooLarge(declared, o.maxBytes);
    }
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        cb(bytes > o.maxBytes ? tooLarge(bytes, o.maxBytes) : null, chunk);
      },
    });
    try {
      await pipeline(res, counter, fs.createWriteStream(file));
    } catch (err) {
      throw err instanceof FetchRefused ? err : downloadFailed((err as Error).message);
    }
    return bytes;
  }
}
