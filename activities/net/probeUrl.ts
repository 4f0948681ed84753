// Probing a URL without letting ffprobe fetch it: ffprobe cannot be pinned to a checked address (it would
// resolve the name again, follow redirects anywhere, and open URLs named inside playlists), so it reads from a
// one-shot loopback relay instead, which serves only this URL, each request (Range included) fetched through
// the guarded client. ffprobe reads only the parts it needs (the head, and the index at the end of an MP4
// whose moov is last), so this costs a few hundred KB where downloading to a temporary file would cost the
// whole video (up to 1 GB).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { VideoFacts } from '../../workflows/contract';
import { probe } from '../media';
import { guardedGet, httpStatusError, UrlError, type UrlPolicy } from './guardedHttp';

/** Bytes the relay passes to one probe at most: ffprobe's probing reads far less (its probesize is 5 MB). */
const PROBE_BUDGET_BYTES = 256 * 1024 * 1024;
const HEAD_BYTES = 64 * 1024;
const PASSED_HEADERS = ['content-length', 'content-range', 'content-type', 'accept-ranges', 'last-modified', 'etag'];

export interface UrlProbe {
  facts: VideoFacts;
  /** The size the server declares (Content-Range total or Content-Length); undefined when it does not say. */
  sizeBytes?: number;
  /** Bytes relayed to ffprobe (the measure of what probing a URL costs). */
  bytesRelayed: number;
}

/** The first answer: status, size and the first bytes (which also tell MKV from WebM). */
async function preflight(url: string, policy: UrlPolicy, signal?: AbortSignal): Promise<{ size?: number; head: Buffer }> {
  const a = await guardedGet(url, policy, { headers: { range: `bytes=0-${HEAD_BYTES - 1}` }, signal });
  if (a.status === 416) {
    a.body.destroy();
    return { size: 0, head: Buffer.alloc(0) };
  }
  if (a.status !== 200 && a.status !== 206) {
    a.body.destroy();
    throw httpStatusError(a.status);
  }
  const total = a.status === 206 ? /\/(\d+)$/.exec(String(a.headers['content-range'] ?? ''))?.[1] : a.headers['content-length'];
  const chunks: Buffer[] = [];
  let have = 0;
  for await (const chunk of a.body) {
    chunks.push(chunk as Buffer);
    have += (chunk as Buffer).length;
    if (have >= HEAD_BYTES) break; // a server that ignores Range sends everything: stop reading
  }
  a.body.destroy();
  return { size: total === undefined ? undefined : Number(total), head: Buffer.concat(chunks).subarray(0, HEAD_BYTES) };
}

/** Facts about the video at `url`, fetched only through the guarded client. Throws UrlError, or ffprobe's error. */
export async function probeUrl(url: string, policy: UrlPolicy, signal?: AbortSignal): Promise<UrlProbe> {
  const { size, head } = await preflight(url, policy, signal);
  if (size === 0 || head.length === 0) throw new UrlError('unreachable', 'is empty (0 bytes)');
  const token = randomBytes(16).toString('hex');
  let relayed = 0;
  let failure: Error | undefined;
  const relay = http.createServer((req, res) => {
    if (req.url !== `/${token}` || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404).end();
      return;
    }
    const range = typeof req.headers.range === 'string' ? { range: req.headers.range } : undefined;
    guardedGet(url, policy, { headers: range, signal })
      .then(async (a) => {
        // ffprobe would call a 503 an unreadable video: keep the origin's answer so a passing failure is retried.
        if (a.status >= 400) failure ??= httpStatusError(a.status);
        const headers = Object.fromEntries(PASSED_HEADERS.flatMap((h) => (a.headers[h] === undefined ? [] : [[h, a.headers[h]]])));
        res.writeHead(a.status, headers);
        if (req.method === 'HEAD') return a.body.destroy();
        a.body.on('data', (chunk: Buffer) => {
          relayed += chunk.length;
          if (relayed > PROBE_BUDGET_BYTES) a.body.destroy(new UrlError('too-large', `probing read more than ${PROBE_BUDGET_BYTES} bytes`));
        });
        await pipeline(a.body, res);
      })
      .catch((err: Error) => {
        failure ??= err;
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      });
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  try {
    const port = (relay.address() as AddressInfo).port;
    const facts = await probe(`http://127.0.0.1:${port}/${token}`, { protocols: 'http,tcp', head }).catch((err: Error) => {
      throw failure instanceof UrlError ? failure : err;
    });
    return { facts, sizeBytes: size, bytesRelayed: relayed };
  } finally {
    relay.closeAllConnections();
    await new Promise((resolve) => relay.close(resolve));
  }
}
