// OSS objects on disk: each object is a file plus a JSON sidecar; bytes always stream, never sit in memory.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';

export interface ObjectMeta {
  key: string;
  size: number;
  etag: string;
  contentType: string;
  lastModified: number;
}

export interface UploadMeta {
  uploadId: string;
  key: string;
  initiated: number;
  contentType: string;
}

export class OssError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function keyId(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Streams `source` to `file` (via a temp file and rename, so readers never see half an object); returns size and md5. */
async function writeStream(source: Readable, file: string): Promise<{ size: number; md5: string }> {
  const hash = createHash('md5');
  let size = 0;
  const tmp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  try {
    await pipeline(source, counter, fs.createWriteStream(tmp));
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  return { size, md5: hash.digest('hex') };
}

export class ObjectStore {
  private readonly index = new Map<string, Map<string, ObjectMeta>>();

  constructor(
    private readonly root: string,
    private readonly clock: { now(): number },
  ) {}

  /** Creates the buckets' folders and loads every object's sidecar into the in-memory index. */
  async open(buckets: string[]): Promise<void> {
    for (const bucket of buckets) {
      const objects = path.join(this.root, bucket, 'objects');
      await fs.promises.mkdir(objects, { recursive: true });
      await fs.promises.mkdir(path.join(this.root, bucket, 'uploads'), { recursive: true });
      const metas = new Map<string, ObjectMeta>();
      for (const name of await fs.promises.readdir(objects)) {
        if (!name.endsWith('.json')) continue;
        const meta = JSON.parse(await fs.promises.readFile(path.join(objects, name), 'utf8')) as ObjectMeta;
        metas.set(meta.key, meta);
      }
      this.index.set(bucket, metas);
    }
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

  async put(bucket: string, key: string, body: Readable, contentType: string): Promise<ObjectMeta> {
    this.bucket(bucket);
    const { size, md5 } = await writeStream(body, this.dataPath(bucket, key));
    return this.commit(bucket, { key, size, etag: `"${md5.toUpperCase()}"`, contentType, lastModified: this.clock.now() });
  }

  head(bucket: string, key: string): ObjectMeta {
    const meta = this.bucket(bucket).get(key);
    if (!meta) throw new OssError(404, 'NoSuchKey', `The specified key does not exist: ${key}`);
    return meta;
  }

  read(bucket: string, key: string, start?: number, end?: number): Readable {
    this.head(bucket, key);
    return fs.createReadStream(this.dataPath(bucket, key), { start, end });
  }

  async delete(bucket: string, key: string): Promise<void> {
    const b = this.bucket(bucket);
    b.delete(key);
    const p = this.dataPath(bucket, key);
    await fs.promises.rm(p, { force: true });
    await fs.promises.rm(`${p}.json`, { force: true });
  }

  list(bucket: string, prefix: string): ObjectMeta[] {
    return [...this.bucket(bucket).values()]
      .filter((m) => m.key.startsWith(prefix))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  // ---- multipart ----

  private uploadDir(bucket: string, uploadId: string): string {
    if (!/^[0-9a-f]{32}$/.test(uploadId)) throw new OssError(404, 'NoSuchUpload', `The specified upload does not exist: ${uploadId}`);
    return path.join(this.root, bucket, 'uploads', uploadId);
  }

  async initiate(bucket: string, key: string, contentType: string): Promise<UploadMeta> {
    this.bucket(bucket);
    const meta: UploadMeta = { uploadId: randomBytes(16).toString('hex'), key, initiated: this.clock.now(), contentType };
    const dir = this.uploadDir(bucket, meta.uploadId);
    await fs.promises.mkdir(dir, { recursive: true });
    await fs.promises.writeFile(path.join(dir, 'upload.json'), JSON.stringify(meta));
    return meta;
  }

  private async upload(bucket: string, key: string, uploadId: string): Promise<{ dir: string; meta: UploadMeta }> {
    const dir = this.uploadDir(bucket, uploadId);
    let meta: UploadMeta;
    try {
      meta = JSON.parse(await fs.promises.readFile(path.join(dir, 'upload.json'), 'utf8')) as UploadMeta;
    } catch {
      throw new OssError(404, 'NoSuchUpload', `The specified upload does not exist: ${uploadId}`);
    }
    if (meta.key !== key) throw new OssError(404, 'NoSuchUpload', `upload ${uploadId} is not for key ${key}`);
    return { dir, meta };
  }

  async uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: Readable): Promise<string> {
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000)
      throw new OssError(400, 'InvalidArgument', `partNumber ${partNumber} must be 1..10000`);
    const { dir } = await this.upload(bucket, key, uploadId);
    const { md5 } = await writeStream(body, path.join(dir, `part-${partNumber}`));
    return `"${md5.toUpperCase()}"`;
  }

  async listParts(bucket: string, key: string, uploadId: string): Promise<Array<{ partNumber: number; size: number }>> {
    const { dir } = await this.upload(bucket, key, uploadId);
    const parts = [];
    for (const name of await fs.promises.readdir(dir)) {
      const m = /^part-(\d+)$/.exec(name);
      if (m) parts.push({ partNumber: Number(m[1]), size: (await fs.promises.stat(path.join(dir, name))).size });
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async complete(
    bucket: string,
    key: string,
    uploadId: string,
    parts: Array<{ partNumber: number; etag: string }>,
    minPartSize: number,
  ): Promise<ObjectMeta> {
    const { dir, meta } = await this.upload(bucket, key, uploadId);
    if (parts.length === 0) throw new OssError(400, 'InvalidPart', 'no parts listed');
    const target = this.dataPath(bucket, key);
    const tmp = `${target}.tmp-${randomBytes(4).toString('hex')}`;
    const md5s = createHash('md5');
    let size = 0;
    try {
      const out = fs.createWriteStream(tmp);
      for (const [i, part] of parts.entries()) {
        if (i > 0 && part.partNumber <= parts[i - 1].partNumber)
          throw new OssError(400, 'InvalidPartOrder', 'parts must be in ascending order');
        const file = path.join(dir, `part-${part.partNumber}`);
        const stat = await fs.promises.stat(file).catch(() => undefined);
        if (!stat) throw new OssError(400, 'InvalidPart', `part ${part.partNumber} was not uploaded`);
        if (i < parts.length - 1 && stat.size < minPartSize)
          throw new OssError(400, 'EntityTooSmall', `part ${part.partNumber} is ${stat.size} bytes, below the ${minPartSize}-byte minimum`);
        md5s.update(Buffer.from(part.etag.replace(/"/g, ''), 'hex'));
        size += stat.size;
        // Copied by hand: pipeline() per part would pile listeners onto the one output stream.
        for await (const chunk of fs.createReadStream(file)) {
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
      contentType: meta.contentType,
      lastModified: this.clock.now(),
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
