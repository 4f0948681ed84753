// The OSS stand-in: path-style (`/bucket/key`) and virtual-hosted (`Host: bucket.localhost:PORT`)
// requests, V1 and V4 signatures, streamed bodies, XML answers and errors as the official clients expect.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Clock } from '../clock';
import type { Faults } from '../faults';
import { roll } from '../faults';
import { headerValue, readBody, requestId } from '../http';
import type { Credentials } from '../viapi/signature';
import { aclXml, bucketInfoXml, isoSeconds, listBucketsXml, listObjectsXml, listPartsXml, listUploadsXml } from './listings';
import { bareEtag, headersToStore, ObjectStore, OssError, type ObjectMeta } from './objectStore';
import { SUB_RESOURCES, verifyOss } from './signature';
import { throttle } from './throttle';
import { elements, fields, text, xmlEscape, xmlUnescape } from './xml';

export const MIN_PART_SIZE = 100 * 1024;

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

function baseHeaders(extra: Record<string, string | number> = {}): Record<string, string | number> {
  return { server: 'AliyunOSS', date: new Date().toUTCString(), 'x-oss-request-id': requestId(), ...extra };
}

function sendXml(res: ServerResponse, status: number, xml: string, extra: Record<string, string | number> = {}): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
  res.writeHead(status, baseHeaders({ 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), ...extra }));
  res.end(body);
}

function sendEmpty(res: ServerResponse, status: number, extra: Record<string, string | number> = {}): void {
  res.writeHead(status, baseHeaders({ 'content-length': 0, ...extra }));
  res.end();
}

function sendError(req: IncomingMessage, res: ServerResponse, err: OssError): void {
  if (!req.complete && !req.destroyed) {
    // Answer only after the client has sent its body, as OSS does; replying mid-upload looks like a broken connection.
    req.resume();
    req.once('end', () => sendError(req, res, err));
    return;
  }
  const id = requestId();
  const { status } = err;
  const xml = `<Error>${fields({ Code: err.code, Message: err.message, RequestId: id, HostId: 'oss-cn-shanghai.aliyuncs.com', ...err.details })}</Error>`;
  if (req.method === 'HEAD') {
    // HEAD answers carry no body; newer SDKs read the error from x-oss-err, older ones map a bare 404 to NoSuchKey.
    res.writeHead(status, baseHeaders({ 'x-oss-request-id': id, 'x-oss-err': Buffer.from(xml).toString('base64'), 'content-length': 0 }));
    res.end();
    return;
  }
  sendXml(res, status, xml, { 'x-oss-request-id': id });
}

/** Parses `bytes=a-b` / `bytes=a-` / `bytes=-n` against `size`; undefined when absent or malformed (OSS then sends it all). */
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

/** `/bucket/key`, or `Host: bucket.localhost:PORT` + `/key` (virtual-hosted style). */
function locate(host: string, pathname: string): { bucket: string; key: string } {
  const hostname = host.replace(/:\d+$/, '').toLowerCase();
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new OssError(400, 'InvalidURI', `Couldn't parse the specified URI: ${pathname}`);
    }
  };
  if (hostname.endsWith('.localhost')) return { bucket: hostname.slice(0, -'.localhost'.length), key: decode(pathname.slice(1)) };
  const [, bucket = '', ...rest] = pathname.split('/');
  return { bucket: decode(bucket), key: decode(rest.join('/')) };
}

/** A Content-MD5 header: absent, or base64 of 16 bytes. */
function contentMd5(req: IncomingMessage): string | undefined {
  const v = headerValue(req.headers, 'content-md5');
  if (!v) return undefined;
  if (Buffer.from(v, 'base64').length !== 16) throw new OssError(400, 'InvalidDigest', 'The Content-MD5 you specified is not valid.');
  return v;
}

async function smallBody(req: IncomingMessage): Promise<string> {
  const body = await readBody(req);
  const md5 = contentMd5(req);
  if (md5 !== undefined && createHash('md5').update(body).digest('base64') !== md5)
    throw new OssError(400, 'InvalidDigest', 'The Content-MD5 you specified is not valid.');
  return body.toString('utf8');
}

const objectHeaders = (m: ObjectMeta) => ({
  etag: m.etag,
  ...(m.crc64 ? { 'x-oss-hash-crc64ecma': m.crc64 } : {}),
});

const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};
/** Query keys that only modify a GET (or authenticate it): the object itself is still what is asked for. */
const PASSTHROUGH = new Set([...Object.keys(RESPONSE_OVERRIDES), 'security-token', 'versionId']);

/** Answers for bucket sub-resources the stand-in has nothing configured for, as an unconfigured bucket answers. */
const UNCONFIGURED: Record<string, [number, string, string]> = {
  lifecycle: [404, 'NoSuchLifecycle', 'No Row found in Lifecycle Table.'],
  cors: [404, 'NoSuchCORSConfiguration', 'The CORS configuration does not exist.'],
  website: [404, 'NoSuchWebsiteConfiguration', 'The specified bucket does not have a website configuration.'],
  policy: [404, 'NoSuchBucketPolicy', 'The bucket policy does not exist.'],
  encryption: [404, 'NoSuchServerSideEncryptionRule', 'The server side encryption configuration was not found.'],
};
const EMPTY_CONFIG: Record<string, string> = {
  tagging: '<Tagging><TagSet></TagSet></Tagging>',
  versioning: '<VersioningConfiguration></VersioningConfiguration>',
  logging: '<BucketLoggingStatus></BucketLoggingStatus>',
  referer: '<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer><RefererList></RefererList></RefererConfiguration>',
  location: '<LocationConstraint>oss-cn-shanghai</LocationConstraint>',
};

const notImplemented = (what: string) => new OssError(501, 'NotImplemented', `The stand-in does not implement ${what}.`);
const ACLS = ['default', 'private', 'public-read', 'public-read-write'];

export function createOssServer(opts: OssServerOptions): http.Server {
  const { store, credentials, clock, faults, stats } = opts;
  const started = clock.now();

  /** The request body, slowed down when the slow-network fault is on. */
  function body(req: IncomingMessage): Readable {
    if (faults.ossBytesPerSecond <= 0) return req;
    const slow = throttle(() => faults.ossBytesPerSecond);
    req.on('error', (err) => slow.destroy(err));
    req.on('aborted', () => slow.destroy(new Error('client aborted the upload')));
    return req.pipe(slow);
  }

  function forbidOverwrite(req: IncomingMessage, bucket: string, key: string): void {
    if (headerValue(req.headers, 'x-oss-forbid-overwrite') !== 'true') return;
    if (store.exists(bucket, key))
      throw new OssError(409, 'FileAlreadyExists', 'The object you specified already exists and can not be overwritten.');
  }

  function storedHeaders(req: IncomingMessage): Record<string, string> {
    return headersToStore(req.headers);
  }

  function aclHeader(req: IncomingMessage): string | undefined {
    const acl = headerValue(req.headers, 'x-oss-object-acl');
    if (acl && !ACLS.includes(acl)) throw new OssError(400, 'InvalidArgument', `no such object access control exists: ${acl}`);
    return acl || undefined;
  }

  function tagsHeader(req: IncomingMessage): Array<[string, string]> | undefined {
    const raw = headerValue(req.headers, 'x-oss-tagging');
    return raw ? [...new URLSearchParams(raw)] : undefined;
  }

  /** `x-oss-copy-source: /bucket/key` (URL-encoded), as PutObject-copy and UploadPartCopy take it. */
  function copySource(req: IncomingMessage): { bucket: string; key: string } {
    const raw = decodeURIComponent(headerValue(req.headers, 'x-oss-copy-source').split('?')[0]);
    const [, bucket = '', ...rest] = raw.startsWith('/') ? raw.split('/') : ['', ...raw.split('/')];
    if (!bucket || rest.length === 0) throw new OssError(400, 'InvalidArgument', `x-oss-copy-source ${raw} is not /bucket/key.`);
    return { bucket, key: rest.join('/') };
  }

  async function getObject(req: IncomingMessage, res: ServerResponse, bucket: string, key: string, q: URLSearchParams): Promise<void> {
    const meta = store.resolve(bucket, key);
    const named = store.head(bucket, key);
    const headers: Record<string, string | number> = baseHeaders({
      ...meta.headers,
      ...objectHeaders(meta),
      'last-modified': new Date(meta.lastModified).toUTCString(),
      'accept-ranges': 'bytes',
      'x-oss-object-type': named.type,
      'x-oss-storage-class': 'Standard',
      ...(meta.tags?.length ? { 'x-oss-tagging-count': meta.tags.length } : {}),
    });
    for (const [param, header] of Object.entries(RESPONSE_OVERRIDES)) if (q.get(param)) headers[header] = q.get(param) as string;

    // Conditional requests, in the order the HTTP rules give them.
    const ifMatch = headerValue(req.headers, 'if-match');
    const ifUnmodified = Date.parse(headerValue(req.headers, 'if-unmodified-since'));
    const ifNoneMatch = headerValue(req.headers, 'if-none-match');
    const ifModified = Date.parse(headerValue(req.headers, 'if-modified-since'));
    // Clients send ETags quoted or bare (oss2's resumable download sends them bare).
    const sameEtag = (v: string) => v.split(',').some((e) => e.trim() === '*' || bareEtag(e) === bareEtag(meta.etag));
    if ((ifMatch && !sameEtag(ifMatch)) || (!ifMatch && ifUnmodified < meta.lastModified))
      throw new OssError(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold.');
    if ((ifNoneMatch && sameEtag(ifNoneMatch)) || (!ifNoneMatch && req.method === 'GET' && ifModified >= meta.lastModified)) {
      res.writeHead(304, {
        etag: meta.etag,
        'last-modified': String(headers['last-modified']),
        'x-oss-request-id': String(headers['x-oss-request-id']),
      });
      return void res.end();
    }

    const range = parseRange(req.headers.range, meta.size);
    if (range === 'invalid') throw new OssError(416, 'InvalidRange', `The requested range cannot be satisfied: object size ${meta.size}.`);
    const start = range?.start ?? 0;
    const end = range?.end ?? meta.size - 1;
    headers['content-length'] = meta.size === 0 ? 0 : end - start + 1;
    if (range) headers['content-range'] = `bytes ${start}-${end}/${meta.size}`;
    else if (meta.contentMd5) headers['content-md5'] = meta.contentMd5;
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === 'HEAD' || meta.size === 0) return void res.end();
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

  async function bucketRequest(req: IncomingMessage, res: ServerResponse, bucket: string, q: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    if (method === 'PUT' && [...q.keys()].length === 0) {
      await store.createBucket(bucket);
      return sendEmpty(res, 200, { location: `/${bucket}` });
    }
    if (!store.hasBucket(bucket)) throw new OssError(404, 'NoSuchBucket', 'The specified bucket does not exist.');
    if (method === 'GET' && q.has('uploads')) return sendXml(res, 200, listUploadsXml(bucket, await store.listUploads(bucket), q));
    if (method === 'GET' && q.has('acl')) return sendXml(res, 200, aclXml('private'));
    if (method === 'PUT' && q.has('acl')) return sendEmpty(res, 200);
    if (method === 'GET' && q.has('bucketInfo')) return sendXml(res, 200, bucketInfoXml(bucket, started));
    if (method === 'POST' && q.has('delete')) {
      if (!headerValue(req.headers, 'content-md5'))
        throw new OssError(400, 'InvalidDigest', 'Content-MD5 is required for DeleteMultipleObjects.');
      const xml = await smallBody(req);
      const keys = elements(xml, 'Key').map(xmlUnescape);
      for (const k of keys) await store.delete(bucket, k);
      const quiet = /<Quiet>\s*true\s*<\/Quiet>/i.test(xml);
      const enc = q.get('encoding-type') === 'url' ? encodeURIComponent : (s: string) => s;
      return sendXml(
        res,
        200,
        `<DeleteResult>${q.get('encoding-type') === 'url' ? '<EncodingType>url</EncodingType>' : ''}${quiet ? '' : keys.map((k) => `<Deleted><Key>${xmlEscape(enc(k))}</Key></Deleted>`).join('')}</DeleteResult>`,
      );
    }
    // continuation-token is signed like a sub-resource but belongs to ListObjectsV2.
    const sub = [...q.keys()].find((k) => SUB_RESOURCES.has(k) && k !== 'continuation-token' && k !== 'security-token');
    if (method === 'GET' && sub && UNCONFIGURED[sub]) throw new OssError(...UNCONFIGURED[sub]);
    if (method === 'GET' && sub && EMPTY_CONFIG[sub]) return sendXml(res, 200, EMPTY_CONFIG[sub]);
    if (method === 'GET' && !sub) return sendXml(res, 200, listObjectsXml(bucket, store.list(bucket, q.get('prefix') ?? ''), q));
    if (method === 'HEAD' && !sub) return sendEmpty(res, 200);
    throw notImplemented(`${method} on a bucket${sub ? ` with ?${sub}` : ''}`);
  }

  async function objectRequest(req: IncomingMessage, res: ServerResponse, bucket: string, key: string, q: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    if (!store.hasBucket(bucket)) throw new OssError(404, 'NoSuchBucket', 'The specified bucket does not exist.');
    const uploadId = q.get('uploadId');

    if (method === 'POST' && q.has('uploads')) {
      forbidOverwrite(req, bucket, key);
      const up = await store.initiate(bucket, key, storedHeaders(req));
      return sendXml(
        res,
        200,
        `<InitiateMultipartUploadResult>${fields({ Bucket: bucket, Key: key, UploadId: up.uploadId })}</InitiateMultipartUploadResult>`,
      );
    }
    if (uploadId !== null) {
      if (method === 'PUT') {
        stats.uploadParts += 1;
        const partNumber = Number(q.get('partNumber'));
        if (req.headers['x-oss-copy-source']) {
          const from = copySource(req);
          const source = store.resolve(from.bucket, from.key);
          const range = parseRange(headerValue(req.headers, 'x-oss-copy-source-range') || undefined, source.size);
          if (range === 'invalid') throw new OssError(416, 'InvalidRange', 'The requested copy range cannot be satisfied.');
          const part = await store.uploadPart(
            bucket,
            key,
            uploadId,
            partNumber,
            store.read(from.bucket, from.key, range?.start, range?.end),
          );
          return sendXml(
            res,
            200,
            `<CopyPartResult>${fields({ LastModified: isoSeconds(part.lastModified) })}<ETag>${part.etag}</ETag></CopyPartResult>`,
            {
              etag: part.etag,
            },
          );
        }
        const part = await store.uploadPart(bucket, key, uploadId, partNumber, body(req), contentMd5(req));
        return sendEmpty(res, 200, { etag: part.etag, 'x-oss-hash-crc64ecma': part.crc64 });
      }
      if (method === 'GET') {
        const { parts } = await store.listParts(bucket, key, uploadId);
        return sendXml(res, 200, listPartsXml(bucket, key, uploadId, parts, q));
      }
      if (method === 'POST') {
        const xml = await smallBody(req);
        const all = headerValue(req.headers, 'x-oss-complete-all') === 'yes';
        if (all && xml.trim()) throw new OssError(400, 'InvalidArgument', 'x-oss-complete-all must not come with a part list.');
        const listed = elements(xml, 'Part').map((p) => ({ partNumber: Number(text(p, 'PartNumber')), etag: text(p, 'ETag') ?? '' }));
        forbidOverwrite(req, bucket, key);
        const meta = await store.complete(bucket, key, uploadId, all ? 'all' : listed, MIN_PART_SIZE);
        const enc = q.get('encoding-type') === 'url' ? encodeURIComponent : (s: string) => s;
        return sendXml(
          res,
          200,
          `<CompleteMultipartUploadResult>${q.get('encoding-type') === 'url' ? '<EncodingType>url</EncodingType>' : ''}${fields({
            Location: `http://${headerValue(req.headers, 'host')}/${bucket}/${enc(key)}`,
            Bucket: bucket,
            Key: enc(key),
          })}<ETag>${meta.etag}</ETag></CompleteMultipartUploadResult>`,
          objectHeaders(meta),
        );
      }
      if (method === 'DELETE') {
        await store.abort(bucket, key, uploadId);
        return sendEmpty(res, 204);
      }
    }
    if (q.has('acl')) {
      if (method === 'GET') return sendXml(res, 200, aclXml(store.head(bucket, key).acl ?? 'default'));
      if (method === 'PUT') {
        await store.update(bucket, key, { acl: aclHeader(req) ?? 'default' });
        return sendEmpty(res, 200);
      }
    }
    if (q.has('tagging')) {
      if (method === 'GET')
        return sendXml(
          res,
          200,
          `<Tagging><TagSet>${(store.head(bucket, key).tags ?? []).map(([k, v]) => `<Tag>${fields({ Key: k, Value: v })}</Tag>`).join('')}</TagSet></Tagging>`,
        );
      if (method === 'PUT') {
        const tags = elements(await smallBody(req), 'Tag').map((t) => [text(t, 'Key') ?? '', text(t, 'Value') ?? ''] as [string, string]);
        await store.update(bucket, key, { tags });
        return sendEmpty(res, 200);
      }
      if (method === 'DELETE') {
        await store.update(bucket, key, { tags: [] });
        return sendEmpty(res, 204);
      }
    }
    if (q.has('symlink')) {
      if (method === 'PUT') {
        const target = decodeURIComponent(headerValue(req.headers, 'x-oss-symlink-target'));
        if (!target) throw new OssError(400, 'InvalidArgument', 'x-oss-symlink-target is required.');
        forbidOverwrite(req, bucket, key);
        const meta = await store.putSymlink(bucket, key, target, storedHeaders(req));
        return sendEmpty(res, 200, { etag: meta.etag });
      }
      if (method === 'GET' || method === 'HEAD') {
        const meta = store.head(bucket, key);
        if (meta.type !== 'Symlink') throw new OssError(400, 'NotSymlink', 'The specified object is not a symlink.');
        return sendEmpty(res, 200, { 'x-oss-symlink-target': encodeURIComponent(meta.symlinkTarget ?? ''), etag: meta.etag });
      }
    }
    if (q.has('append') && method === 'POST') {
      const position = Number(q.get('position') ?? 'x');
      if (!Number.isInteger(position) || position < 0)
        throw new OssError(400, 'InvalidArgument', 'position must be a non-negative integer.');
      const meta = await store.append(bucket, key, position, body(req), storedHeaders(req));
      return sendEmpty(res, 200, { ...objectHeaders(meta), 'x-oss-next-append-position': meta.size });
    }
    if (q.has('objectMeta') && (method === 'GET' || method === 'HEAD')) {
      const meta = store.head(bucket, key);
      if (method === 'HEAD') {
        // A HEAD answer's Content-Length is the object's size; no body follows.
        res.writeHead(
          200,
          baseHeaders({ ...objectHeaders(meta), 'content-length': meta.size, 'last-modified': new Date(meta.lastModified).toUTCString() }),
        );
        return void res.end();
      }
      return sendEmpty(res, 200, {
        ...objectHeaders(meta),
        'x-oss-object-content-length': meta.size,
        'last-modified': new Date(meta.lastModified).toUTCString(),
        'x-oss-last-access-time': new Date(meta.lastModified).toUTCString(),
      });
    }
    const sub = [...q.keys()].find((k) => SUB_RESOURCES.has(k) && !PASSTHROUGH.has(k));
    if (sub === 'restore')
      throw new OssError(400, 'OperationNotSupported', 'The operation is not supported for this resource: restore on a Standard object.');
    if (sub) throw notImplemented(`${method} ?${sub} on an object`);
    const versionId = q.get('versionId');
    if (versionId !== null && versionId !== 'null') throw new OssError(404, 'NoSuchVersion', 'The specified version does not exist.');

    if (method === 'PUT' && req.headers['x-oss-copy-source']) {
      const from = copySource(req);
      const source = store.resolve(from.bucket, from.key);
      forbidOverwrite(req, bucket, key);
      const directive = headerValue(req.headers, 'x-oss-metadata-directive') || 'COPY';
      if (directive !== 'COPY' && directive !== 'REPLACE')
        throw new OssError(400, 'InvalidArgument', `x-oss-metadata-directive must be COPY or REPLACE, not ${directive}.`);
      const meta = await store.copy(from, bucket, key, directive === 'COPY' ? source.headers : storedHeaders(req));
      return sendXml(
        res,
        200,
        `<CopyObjectResult>${fields({ LastModified: isoSeconds(meta.lastModified) })}<ETag>${meta.etag}</ETag></CopyObjectResult>`,
        objectHeaders(meta),
      );
    }
    if (method === 'PUT') {
      forbidOverwrite(req, bucket, key);
      const acl = aclHeader(req);
      const meta = await store.put(bucket, key, body(req), storedHeaders(req), contentMd5(req));
      if (acl || tagsHeader(req)) await store.update(bucket, key, { acl, tags: tagsHeader(req) });
      return sendEmpty(res, 200, { ...objectHeaders(meta), 'content-md5': meta.contentMd5 ?? '' });
    }
    if (method === 'GET' || method === 'HEAD') return getObject(req, res, bucket, key, q);
    if (method === 'DELETE') {
      await store.delete(bucket, key);
      return sendEmpty(res, 204);
    }
    throw new OssError(405, 'MethodNotAllowed', `The specified method is not allowed against this resource: ${method}.`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const rawQuery = (req.url ?? '').split('?').slice(1).join('?').split('#')[0];
    const { bucket, key } = locate(headerValue(req.headers, 'host'), url.pathname);
    const q = url.searchParams;
    if (roll(faults.ossServerErrorRate))
      throw new OssError(500, 'InternalError', 'injected fault: We encountered an internal error. Please try again.');
    verifyOss({ method: req.method ?? 'GET', bucket, key, rawQuery, query: q, headers: req.headers }, credentials, clock.now());
    if (!bucket) {
      if (req.method === 'GET') return sendXml(res, 200, listBucketsXml(store.buckets(), started));
      throw new OssError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    }
    return key ? objectRequest(req, res, bucket, key, q) : bucketRequest(req, res, bucket, q);
  }

  return http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      sendError(
        req,
        res,
        err instanceof OssError ? err : new OssError(500, 'InternalError', err instanceof Error ? err.message : String(err)),
      );
    });
  });
}
