// OSS objects on disk: each object is a file plus a JSON sidecar; bytes always stream, never sit in memory.
// Every write computes what OSS reports about an object: size, MD5 (the ETag of a plain upload), CRC-64.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { Crc64, crc64, crc64Combine } from './crc64';

export type ObjectType = 'Normal' | 'Multipart' | 'Appendable' | 'Symlink';

export interface ObjectMeta {
  key: string;
  size: number;
  /** Quoted, upper-case hex: `"<MD5>"` for a plain upload, `"<MD5 of part MD5s>-N"` for a multipart one. */
  etag: string;
  /** Milliseconds, whole seconds (OSS keeps seconds). */
  lastModified: number;
  type: ObjectType;
  /** CRC-64/ECMA-182 of the content, unsigned decimal. */
  crc64?: string;
  /** Base64 MD5 of the content, for plain uploads (OSS returns it as Content-MD5). */
  contentMd5?: string;
  /** Stored response headers: content-type, content-disposition, cache-control, ..., x-oss-meta-*. */
  headers: Record<string, string>;
  acl?: string;
  tags?: Array<[string, string]>;
  symlinkTarget?: string;
}

export interface UploadMeta {
  uploadId: string;
  key: string;
  initiated: number;
  headers: Record<string, string>;
}

export interface PartMeta {
  partNumber: number;
  etag: string;
  size: number;
  lastModified: number;
  crc64: string;
}

export class OssError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** More elements of the error document (e.g. ServerTime, which clients use to correct their clock). */
    readonly details: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The request headers an object keeps and returns on GET/HEAD. */
const KEPT_HEADERS = ['content-type', 'content-disposition', 'content-encoding', 'content-language', 'cache-control', 'expires'];

export function headersToStore(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (KEPT_HEADERS.includes(name) || name.startsWith('x-oss-meta-')) out[name] = Array.isArray(value) ? value.join(',') : value;
  }
  out['content-type'] ??= 'application/octet-stream';
  return out;
}

function keyId(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

interface Written {
  size: number;
  md5: Buffer;
  crc64: string;
}

/**
 * Streams `source` to `file` through a temp file and a rename, so readers never see half an object.
 * With `expectMd5` (a Content-MD5 header), a body that does not match is thrown away: InvalidDigest.
 */
async function writeStream(source: Readable, file: string, expectMd5?: string, maxBytes = Infinity): Promise<Written> {
  const md5 = createHash('md5');
  const crc = new Crc64();
  let size = 0;
  const tmp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      md5.update(chunk);
      crc.update(chunk);
      size += chunk.length;
      if (size > maxBytes)
        return cb(new OssError(400, 'EntityTooLarge', `Your proposed upload exceeds the maximum allowed size of ${maxBytes} bytes.`));
      cb(null, chunk);
    },
  });
  try {
    await pipeline(source, counter, fs.createWriteStream(tmp));
    const digest = md5.digest();
    if (expectMd5 !== undefined && digest.toString('base64') !== expectMd5)
      throw new OssError(400, 'InvalidDigest', 'The Content-MD5 you specified is not valid.');
    await fs.promises.rename(tmp, file);
    return { size, md5: digest, crc64: crc.digest() };
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}

async function digestFile(file: string): Promise<Written> {
  const md5 = createHash('md5');
  const crc = new Crc64();
  let size = 0;
  for await (const chunk of fs.createReadStream(file)) {
    md5.update(chunk as Buffer);
    crc.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, md5: md5.digest(), crc64: crc.digest() };
}

const quoted = (md5: Buffer) => `"${md5.toString('hex').toUpperCase()}"`;
/** The ETag as a client may echo it: without quotes or entity escapes, any case. */
export const bareEtag = (etag: string) => etag.replace(/"/g, '').trim().toUpperCase();

/** OSS's largest single PUT (5 GB). */
export const MAX_PUT_BYTES = 5 * 1024 ** 3;

export class ObjectStore {
  private readonly index = new Map<string, Map<string, ObjectMeta>>();

  constructor(
    private readonly root: string,
    private readonly clock: { now(): number },
  ) {}

  private seconds(): number {
    return Math.floor(this.clock.now() / 1000) * 1000;
  }

  /** Loads every bucket found on disk plus `buckets`, dropping temp files an earlier process left behind. */
  async open(buckets: string[]): Promise<void> {
    await fs.promises.mkdir(this.root, { recursive: true });
    const found = (await fs.promises.readdir(this.root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    for (const bucket of new Set([...buckets, ...found])) await this.openBucket(bucket);
  }

  private async openBucket(bucket: string): Promise<void> {
    const objects = path.join(this.root, bucket, 'objects');
    await fs.promises.mkdir(objects, { recursive: true });
    await fs.promises.mkdir(path.join(this.root, bucket, 'uploads'), { recursive: true });
    const metas = new Map<string, ObjectMeta>();
    for (const name of await fs.promises.readdir(objects)) {
      if (name.includes('.tmp-')) {
        await fs.promises.rm(path.join(objects, name), { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const saved = JSON.parse(await fs.promises.readFile(path.join(objects, name), 'utf8')) as ObjectMeta & { contentType?: string };
      // Sidecars written before headers and types were kept.
      saved.headers ??= { 'content-type': saved.contentType ?? 'application/octet-stream' };
      saved.type ??= saved.etag.includes('-') ? 'Multipart' : 'Normal';
      delete saved.contentType;
      metas.set(saved.key, saved);
    }
    this.index.set(bucket, metas);
  }

  buckets(): string[] {
    return [...this.index.keys()].sort();
  }

  hasBucket(bucket: string): boolean {
    return this.index.has(bucket);
  }

  async createBucket(bucket: string): Promise<void> {
    if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket))
      throw new OssError(400, 'InvalidBucketName', `The specified bucket is not valid: ${bucket}`);
    if (!this.index.has(bucket)) await this.openBucket(bucket);
  }

  private bucket(bucket: string): Map<string, ObjectMeta> {
    const b = this.index.get(bucket);
    if (!b) throw new OssError(404, 'NoSuchBucket', `The specified bucket does not exist: ${bucket}`);
    return b;
  }

  private dataPath(bucket: string, key: string): string {
    return path.join(this.root, bucket, 'objects', keyId(key));
  }

  private async commit(bucket: string, meta: ObjectMeta): Promise<ObjectMeta> {
    await fs.promises.writeFile(`${this.dataPath(bucket, meta.key)}.json`, JSON.stringify(meta));
    this.bucket(bucket).set(meta.key, meta);
    return meta;
  }

  async put(bucket: string, key: string, body: Readable, headers: Record<string, string>, expectMd5?: string): Promise<ObjectMeta> {
    this.bucket(bucket);
    const w = await writeStream(body, this.dataPath(bucket, key), expectMd5, MAX_PUT_BYTES);
    return this.commit(bucket, {
      key,
      size: w.size,
      etag: quoted(w.md5),
      lastModified: this.seconds(),
      type: 'Normal',
      crc64: w.crc64,
      contentMd5: w.md5.toString('base64'),
      headers,
    });
  }

  /** Changes what is known about an object without touching its bytes (ACL, tags, a copy onto itself). */
  async update(bucket: string, key: string, patch: Partial<ObjectMeta>): Promise<ObjectMeta> {
    return this.commit(bucket, { ...this.head(bucket, key), ...patch, key });
  }

  async copy(from: { bucket: string; key: string }, bucket: string, key: string, headers: Record<string, string>): Promise<ObjectMeta> {
    const source = this.resolve(from.bucket, from.key);
    this.bucket(bucket);
    if (from.bucket === bucket && source.key === key) return this.update(bucket, key, { headers, lastModified: this.seconds() });
    const w = await writeStream(this.read(from.bucket, source.key), this.dataPath(bucket, key));
    return this.commit(bucket, { ...source, key, headers, lastModified: this.seconds(), crc64: w.crc64, acl: undefined, tags: undefined });
  }

  async append(bucket: string, key: string, position: number, body: Readable, headers: Record<string, string>): Promise<ObjectMeta> {
    const existing = this.bucket(bucket).get(key);
    if (existing && existing.type !== 'Appendable') throw new OssError(409, 'ObjectNotAppendable', 'The object is not appendable.');
    const size = existing?.size ?? 0;
    if (position !== size) throw new OssError(409, 'PositionNotEqualToLength', `Position ${position} is not equal to file length ${size}.`);
    const file = this.dataPath(bucket, key);
    const part = `${file}.append`;
    await writeStream(body, part);
    try {
      await pipeline(fs.createReadStream(part), fs.createWriteStream(file, { flags: existing ? 'a' : 'w' }));
    } finally {
      await fs.promises.rm(part, { force: true });
    }
    const w = await digestFile(file);
    return this.commit(bucket, {
      key,
      size: w.size,
      etag: quoted(w.md5),
      lastModified: this.seconds(),
      type: 'Appendable',
      crc64: w.crc64,
      headers: existing?.headers ?? headers,
    });
  }

  async putSymlink(bucket: string, key: string, target: string, headers: Record<string, string>): Promise<ObjectMeta> {
    this.bucket(bucket);
    const etag = quoted(createHash('md5').update(target).digest());
    await fs.promises.writeFile(this.dataPath(bucket, key), '');
    return this.commit(bucket, { key, size: 0, etag, lastModified: this.seconds(), type: 'Symlink', headers, symlinkTarget: target });
  }

  exists(bucket: string, key: string): boolean {
    return this.bucket(bucket).has(key);
  }

  head(bucket: string, key: string): ObjectMeta {
    const meta = this.bucket(bucket).get(key);
    if (!meta) throw new OssError(404, 'NoSuchKey', 'The specified key does not exist.');
    return meta;
  }

  /** The object a key names, following a symlink to its target. */
  resolve(bucket: string, key: string): ObjectMeta {
    const meta = this.head(bucket, key);
    if (meta.type !== 'Symlink') return meta;
    const target = this.bucket(bucket).get(meta.symlinkTarget ?? '');
    if (!target || target.type === 'Symlink') throw new OssError(404, 'SymlinkTargetNotExist', 'The symlink target object does not exist.');
    return target;
  }

  read(bucket: string, key: string, start?: number, end?: number): Readable {
    const meta = this.resolve(bucket, key);
    return fs.createReadStream(this.dataPath(bucket, meta.key), { start, end });
  }

  async delete(bucket: string, key: string): Promise<void> {
    const b = this.bucket(bucket);
    b.delete(key);
    const p = this.dataPath(bucket, key);
    await fs.promises.rm(p, { force: true });
    await fs.promises.rm(`${p}.json`, { force: true });
  }

  /** Objects whose key starts with `prefix`, in key order (byte order, as OSS sorts). */
  list(bucket: string, prefix: string): ObjectMeta[] {
    return [...this.bucket(bucket).values()]
      .filter((m) => m.key.startsWith(prefix))
      .sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  }

  // ---- multipart ----

  private uploadDir(bucket: string, uploadId: string): string {
    if (!/^[0-9A-F]{32}$/i.test(uploadId)) throw new OssError(404, 'NoSuchUpload', 'The specified upload does not exist.');
    return path.join(this.root, bucket, 'uploads', uploadId);
  }

  async initiate(bucket: string, key: string, headers: Record<string, string>): Promise<UploadMeta> {
    this.bucket(bucket);
    const meta: UploadMeta = { uploadId: randomBytes(16).toString('hex').toUpperCase(), key, initiated: this.seconds(), headers };
    const dir = this.uploadDir(bucket, meta.uploadId);
    await fs.promises.mkdir(dir, { recursive: true });
    await fs.promises.writeFile(path.join(dir, 'upload.json'), JSON.stringify(meta));
    return meta;
  }

  private async upload(bucket: string, key: string, uploadId: string): Promise<{ dir: string; meta: UploadMeta }> {
    this.bucket(bucket);
    const dir = this.uploadDir(bucket, uploadId);
    let meta: UploadMeta;
    try {
      meta = JSON.parse(await fs.promises.readFile(path.join(dir, 'upload.json'), 'utf8')) as UploadMeta;
    } catch {
      throw new OssError(
        404,
        'NoSuchUpload',
        'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      );
    }
    if (meta.key !== key) throw new OssError(404, 'NoSuchUpload', `The specified upload does not exist for key ${key}.`);
    meta.headers ??= { 'content-type': (meta as { contentType?: string }).contentType ?? 'application/octet-stream' };
    return { dir, meta };
  }

  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    expectMd5?: string,
  ): Promise<PartMeta> {
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000)
      throw new OssError(400, 'InvalidArgument', `Part number must be an integer between 1 and 10000, inclusive: ${partNumber}`);
    const { dir } = await this.upload(bucket, key, uploadId);
    const w = await writeStream(body, path.join(dir, `part-${partNumber}`), expectMd5, MAX_PUT_BYTES);
    const part: PartMeta = { partNumber, etag: quoted(w.md5), size: w.size, lastModified: this.seconds(), crc64: w.crc64 };
    await fs.promises.writeFile(path.join(dir, `part-${partNumber}.json`), JSON.stringify(part));
    return part;
  }

  async listParts(bucket: string, key: string, uploadId: string): Promise<{ upload: UploadMeta; parts: PartMeta[] }> {
    const { dir, meta } = await this.upload(bucket, key, uploadId);
    const parts: PartMeta[] = [];
    for (const name of await fs.promises.readdir(dir)) {
      if (!/^part-\d+\.json$/.test(name)) continue;
      parts.push(JSON.parse(await fs.promises.readFile(path.join(dir, name), 'utf8')) as PartMeta);
    }
    return { upload: meta, parts: parts.sort((a, b) => a.partNumber - b.partNumber) };
  }

  /** Assembles the listed parts (or, with 'all', every uploaded part in order) into the object. */
  async complete(
    bucket: string,
    key: string,
    uploadId: string,
    listed: Array<{ partNumber: number; etag: string }> | 'all',
    minPartSize: number,
  ): Promise<ObjectMeta> {
    const { dir } = await this.upload(bucket, key, uploadId);
    const { upload, parts: uploaded } = await this.listParts(bucket, key, uploadId);
    const byNumber = new Map(uploaded.map((p) => [p.partNumber, p]));
    const wanted = listed === 'all' ? uploaded.map((p) => ({ partNumber: p.partNumber, etag: p.etag })) : listed;
    if (wanted.length === 0) throw new OssError(400, 'InvalidPart', 'You must specify at least one part.');
    const parts: PartMeta[] = [];
    for (const [i, w] of wanted.entries()) {
      if (i > 0 && w.partNumber <= wanted[i - 1].partNumber)
        throw new OssError(
          400,
          'InvalidPartOrder',
          'The list of parts was not in ascending order. Parts list must be specified in order by part number.',
        );
      const part = byNumber.get(w.partNumber);
      if (!part || bareEtag(part.etag) !== bareEtag(w.etag))
        throw new OssError(
          400,
          'InvalidPart',
          `One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag: part ${w.partNumber}.`,
        );
      if (i < wanted.length - 1 && part.size < minPartSize)
        throw new OssError(
          400,
          'EntityTooSmall',
          `Your proposed upload is smaller than the minimum allowed size: part ${w.partNumber} is ${part.size} bytes.`,
        );
      parts.push(part);
    }
    const target = this.dataPath(bucket, key);
    const tmp = `${target}.tmp-${randomBytes(4).toString('hex')}`;
    const md5s = createHash('md5');
    // The object's CRC from its parts' (like OSS, which does not read the object again to complete it).
    let crc = crc64(new Uint8Array(0));
    let size = 0;
    try {
      const out = fs.createWriteStream(tmp, { highWaterMark: 1024 * 1024 });
      for (const part of parts) {
        md5s.update(Buffer.from(bareEtag(part.etag), 'hex'));
        size += part.size;
        crc = crc64Combine(crc, part.crc64, part.size);
        // Copied by hand: pipeline() per part would pile listeners onto the one output stream.
        for await (const chunk of fs.createReadStream(path.join(dir, `part-${part.partNumber}`), { highWaterMark: 1024 * 1024 })) {
          if (!out.write(chunk)) await once(out, 'drain');
        }
      }
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      await fs.promises.rename(tmp, target);
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
    await fs.promises.rm(dir, { recursive: true, force: true });
    return this.commit(bucket, {
      key,
      size,
      etag: `"${md5s.digest('hex').toUpperCase()}-${parts.length}"`,
      lastModified: this.seconds(),
      type: 'Multipart',
      crc64: crc,
      headers: upload.headers,
    });
  }

  async abort(bucket: string, key: string, uploadId: string): Promise<void> {
    const { dir } = await this.upload(bucket, key, uploadId);
    await fs.promises.rm(dir, { recursive: true, force: true });
  }

  async listUploads(bucket: string): Promise<UploadMeta[]> {
    this.bucket(bucket);
    const root = path.join(this.root, bucket, 'uploads');
    const out: UploadMeta[] = [];
    for (const id of await fs.promises.readdir(root)) {
      try {
        out.push(JSON.parse(await fs.promises.readFile(path.join(root, id, 'upload.json'), 'utf8')) as UploadMeta);
      } catch {
        // half-created upload folder: not an upload
      }
    }
    return out;
  }
}
