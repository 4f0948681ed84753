// The OSS stand-in: path-style HTTP (`/bucket/key`), v1 signatures, streamed bodies, XML errors.
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Clock } from '../clock';
import type { Faults } from '../faults';
import { roll } from '../faults';
import { readBody, requestId } from '../http';
import type { Credentials } from '../viapi/signature';
import { ObjectStore, OssError, type ObjectMeta } from './objectStore';
import { verifyOss } from './signature';
import { throttle } from './throttle';

export const MIN_PART_SIZE = 100 * 1024;

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function sendXml(res: ServerResponse, status: number, xml: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), 'x-oss-request-id': requestId() });
  res.end(body);
}

function sendError(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string): void {
  if (!req.complete && !req.destroyed) {
    // Answer only after the client has sent its body, as OSS does; replying mid-upload looks like a broken connection.
    req.resume();
    req.once('end', () => sendError(req, res, status, code, message));
    return;
  }
  if (req.method === 'HEAD') {
    // HEAD answers carry no body; ali-oss maps a bare 404 to NoSuchKeyError.
    res.writeHead(status, { 'x-oss-request-id': requestId() });
    res.end();
    return;
  }
  sendXml(
    res,
    status,
    `<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><RequestId>${requestId()}</RequestId><HostId>localhost</HostId></Error>`,
  );
}

function owner(): string {
  return '<Owner><ID>vsr-local</ID><DisplayName>vsr-local</DisplayName></Owner>';
}

function contentsXml(m: ObjectMeta): string {
  return `<Contents><Key>${xmlEscape(m.key)}</Key><LastModified>${new Date(m.lastModified).toISOString()}</LastModified><ETag>${m.etag}</ETag><Type>Normal</Type><Size>${m.size}</Size><StorageClass>Standard</StorageClass>${owner()}</Contents>`;
}

/** Counters tests read to prove what happened on the wire (resumed uploads and downloads). */
export interface OssStats {
  uploadParts: number;
  rangeGets: number;
  gets: number;
}

export interface OssServerOptions {
  store: ObjectStore;
  credentials: Credentials;
  clock: Clock;
  faults: Faults;
  stats: OssStats;
  /** Result downloads (this bucket) are the ones the cut-download fault severs. */
  resultsBucket: string;
}

/** Parses `bytes=a-b` / `bytes=a-` / `bytes=-n` against `size`; undefined when absent or unsatisfiable. */
function parseRange(range: string | undefined, size: number): { start: number; end: number } | 'invalid' | undefined {
  if (!range) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'invalid';
  return { start, end };
}

export function createOssServer(opts: OssServerOptions): http.Server {
  const { store, credentials, clock, faults, stats } = opts;

  /** The request body, slowed down when the slow-network fault is on. */
  function body(req: IncomingMessage): Readable {
    if (faults.ossBytesPerSecond <= 0) return req;
    const slow = throttle(() => faults.ossBytesPerSecond);
    req.on('error', (err) => slow.destroy(err));
    req.on('aborted', () => slow.destroy(new Error('client aborted the upload')));
    return req.pipe(slow);
  }

  async function getObject(req: IncomingMessage, res: ServerResponse, bucket: string, key: string): Promise<void> {
    const meta = store.head(bucket, key);
    const headers: Record<string, string | number> = {
      'content-type': meta.contentType,
      etag: meta.etag,
      'last-modified': new Date(meta.lastModified).toUTCString(),
      'accept-ranges': 'bytes',
      'x-oss-request-id': requestId(),
    };
    const range = parseRange(req.headers.range, meta.size);
    if (range === 'invalid')
      return sendError(req, res, 416, 'InvalidRange', `The requested range is not satisfiable for size ${meta.size}`);
    const start = range?.start ?? 0;
    const end = range?.end ?? meta.size - 1;
    headers['content-length'] = meta.size === 0 ? 0 : end - start + 1;
    if (range) headers['content-range'] = `bytes ${start}-${end}/${meta.size}`;
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === 'HEAD' || meta.size === 0) {
      res.end();
      return;
    }
    stats.gets += 1;
    if (range) stats.rangeGets += 1;
    const raw = store.read(bucket, key, start, end);
    const source = faults.ossBytesPerSecond > 0 ? raw.pipe(throttle(() => faults.ossBytesPerSecond)) : raw;
    res.once('close', () => raw.destroy());
    if (faults.cutDownloads > 0 && bucket === opts.resultsBucket) {
      faults.cutDownloads -= 1;
      let sent = 0;
      const limit = faults.cutDownloadAfterBytes;
      // Severs the connection mid-body, as a flaky network would.
      const cutter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          if (sent + chunk.length >= limit) {
            cb(null, chunk.subarray(0, Math.max(0, limit - sent)));
            setImmediate(() => {
              source.destroy();
              res.socket?.destroy();
            });
            return;
          }
          sent += chunk.length;
          cb(null, chunk);
        },
      });
      await pipeline(source, cutter, res).catch(() => undefined);
      return;
    }
    await pipeline(source, res).catch(() => undefined);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [, rawBucket = '', ...rest] = url.pathname.split('/');
    const bucket = decodeURIComponent(rawBucket);
    const key = decodeURIComponent(rest.join('/'));
    const q = url.searchParams;
    const method = req.method ?? 'GET';

    if (roll(faults.ossServerErrorRate)) return sendError(req, res, 500, 'InternalError', 'injected fault: internal error');
    if (!bucket) return sendError(req, res, 400, 'InvalidBucketName', 'path-style requests must name a bucket: /bucket/key');
    const auth = verifyOss(method, bucket, key, q, req.headers, credentials, Math.floor(clock.now() / 1000));
    if (!auth.ok) return sendError(req, res, auth.status, auth.code, auth.message);

    if (!key) {
      // Bucket-level operations.
      if (method === 'GET' && q.has('uploads')) {
        const uploads = await store.listUploads(bucket);
        return sendXml(
          res,
          200,
          `<ListMultipartUploadsResult><Bucket>${xmlEscape(bucket)}</Bucket>${uploads.map((u) => `<Upload><Key>${xmlEscape(u.key)}</Key><UploadId>${u.uploadId}</UploadId><Initiated>${new Date(u.initiated).toISOString()}</Initiated></Upload>`).join('')}</ListMultipartUploadsResult>`,
        );
      }
      if (method === 'GET') return listObjects(res, bucket, q);
      if (method === 'POST' && q.has('delete')) {
        const body = (await readBody(req)).toString('utf8');
        const keys = [...body.matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) =>
          m[1]
            .replace(/&lt;/g, '<')
            .replace(/&gt;/g, '>')
            .replace(/&quot;/g, '"')
            .replace(/&amp;/g, '&'),
        );
        for (const k of keys) await store.delete(bucket, k);
        const quiet = /<Quiet>true<\/Quiet>/i.test(body);
        return sendXml(
          res,
          200,
          `<DeleteResult>${quiet ? '' : keys.map((k) => `<Deleted><Key>${xmlEscape(k)}</Key></Deleted>`).join('')}</DeleteResult>`,
        );
      }
      return sendError(req, res, 405, 'MethodNotAllowed', `${method} on a bucket is not supported by the stand-in`);
    }

    const contentType = String(req.headers['content-type'] ?? 'application/octet-stream');
    if (method === 'POST' && q.has('uploads')) {
      const up = await store.initiate(bucket, key, contentType);
      return sendXml(
        res,
        200,
        `<InitiateMultipartUploadResult><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${up.uploadId}</UploadId></InitiateMultipartUploadResult>`,
      );
    }
    if (method === 'PUT' && q.has('uploadId')) {
      stats.uploadParts += 1;
      const etag = await store.uploadPart(bucket, key, q.get('uploadId') ?? '', Number(q.get('partNumber')), body(req));
      res.writeHead(200, { etag, 'content-length': 0, 'x-oss-request-id': requestId() });
      return void res.end();
    }
    if (method === 'GET' && q.has('uploadId')) {
      const parts = await store.listParts(bucket, key, q.get('uploadId') ?? '');
      return sendXml(
        res,
        200,
        `<ListPartsResult><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${q.get('uploadId')}</UploadId><IsTruncated>false</IsTruncated>${parts.map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><Size>${p.size}</Size></Part>`).join('')}</ListPartsResult>`,
      );
    }
    if (method === 'POST' && q.has('uploadId')) {
      const body = (await readBody(req)).toString('utf8');
      const parts = [...body.matchAll(/<Part>\s*<PartNumber>(\d+)<\/PartNumber>\s*<ETag>([^<]*)<\/ETag>\s*<\/Part>/g)].map((m) => ({
        partNumber: Number(m[1]),
        etag: m[2].replace(/&quot;/g, '"'),
      }));
      const meta = await store.complete(bucket, key, q.get('uploadId') ?? '', parts, MIN_PART_SIZE);
      return sendXml(
        res,
        200,
        `<CompleteMultipartUploadResult><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><ETag>${meta.etag}</ETag></CompleteMultipartUploadResult>`,
      );
    }
    if (method === 'DELETE' && q.has('uploadId')) {
      await store.abort(bucket, key, q.get('uploadId') ?? '');
      res.writeHead(204, { 'x-oss-request-id': requestId() });
      return void res.end();
    }
    if (method === 'PUT') {
      const meta = await store.put(bucket, key, body(req), contentType);
      res.writeHead(200, { etag: meta.etag, 'content-length': 0, 'x-oss-request-id': requestId() });
      return void res.end();
    }
    if (method === 'GET' || method === 'HEAD') return getObject(req, res, bucket, key);
    if (method === 'DELETE') {
      await store.delete(bucket, key);
      res.writeHead(204, { 'x-oss-request-id': requestId() });
      return void res.end();
    }
    return sendError(req, res, 405, 'MethodNotAllowed', `${method} is not supported by the stand-in`);
  }

  function listObjects(res: ServerResponse, bucket: string, q: URLSearchParams): void {
    const prefix = q.get('prefix') ?? '';
    const max = Math.min(Number(q.get('max-keys') ?? 1000) || 1000, 1000);
    const v2 = q.get('list-type') === '2';
    const after = (v2 ? (q.get('continuation-token') ?? q.get('start-after')) : q.get('marker')) ?? '';
    const all = store.list(bucket, prefix).filter((m) => m.key > after);
    const page = all.slice(0, max);
    const truncated = all.length > page.length;
    const last = page.at(-1)?.key ?? '';
    const common = `<Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>`;
    if (v2) {
      return sendXml(
        res,
        200,
        `<ListBucketResult>${common}<KeyCount>${page.length}</KeyCount>${truncated ? `<NextContinuationToken>${xmlEscape(last)}</NextContinuationToken>` : ''}${page.map(contentsXml).join('')}</ListBucketResult>`,
      );
    }
    return sendXml(
      res,
      200,
      `<ListBucketResult>${common}<Marker>${xmlEscape(after)}</Marker>${truncated ? `<NextMarker>${xmlEscape(last)}</NextMarker>` : ''}${page.map(contentsXml).join('')}</ListBucketResult>`,
    );
  }

  return http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof OssError) return sendError(req, res, err.status, err.code, err.message);
      sendError(req, res, 500, 'InternalError', err instanceof Error ? err.message : String(err));
    });
  });
}
