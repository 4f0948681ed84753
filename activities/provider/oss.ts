// The OSS operations vsr uses, over ali-oss, behind a small typed interface.
import OSS from 'ali-oss';
import type Credential from '@alicloud/credentials';
import fs from 'node:fs';
import type { Readable } from 'node:stream';

export interface ObjectStorage {
  /** `forbidOverwrite`: fail with code FileAlreadyExists (409) rather than replace an existing object. */
  put(bucket: string, key: string, file: string, options?: { forbidOverwrite?: boolean }): Promise<void>;
  initMultipart(bucket: string, key: string): Promise<string>;
  uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, file: string, start: number, end: number): Promise<string>;
  completeMultipart(bucket: string, key: string, uploadId: string, parts: Array<{ number: number; etag: string }>): Promise<void>;
  abortMultipart(bucket: string, key: string, uploadId: string): Promise<void>;
  /** A GET URL valid for `expiresSeconds` from now. */
  signGetUrl(bucket: string, key: string, expiresSeconds: number): string;
  head(bucket: string, key: string): Promise<{ size: number; etag?: string } | undefined>;
  getStream(bucket: string, key: string, start?: number): Promise<Readable>;
  delete(bucket: string, key: string): Promise<void>;
  list(bucket: string, prefix: string): Promise<Array<{ key: string; size: number; lastModified: number }>>;
  listUploads(bucket: string, prefix: string): Promise<Array<{ key: string; uploadId: string }>>;
}

export interface ObjectStorageOptions {
  /** e.g. `http://localhost:9000` for the stand-in, `https://oss-cn-shanghai.aliyuncs.com` for Alibaba. */
  endpoint: string;
  region?: string;
  credential: { accessKeyId: string; accessKeySecret: string } | Credential;
  /** Path-style addressing (`/bucket/key`): what the stand-in speaks. */
  pathStyle: boolean;
  timeoutMs?: number;
}

/** Options ali-oss accepts that its type declarations lack. */
interface ExtraOssOptions {
  sldEnable?: boolean;
}

export function createObjectStorage(o: ObjectStorageOptions): ObjectStorage {
  const clients = new Map<string, OSS>();

  function client(bucket: string): OSS {
    let c = clients.get(bucket);
    if (c) return c;
    const base: OSS.Options & ExtraOssOptions = {
      bucket,
      endpoint: o.endpoint,
      region: o.region,
      secure: o.endpoint.startsWith('https:'),
      timeout: o.timeoutMs ?? 120_000,
      sldEnable: o.pathStyle,
      accessKeyId: '',
      accessKeySecret: '',
    };
    if ('accessKeyId' in o.credential) {
      base.accessKeyId = o.credential.accessKeyId;
      base.accessKeySecret = o.credential.accessKeySecret;
    } else {
      // Credentials from Alibaba's chain (env, profile, RAM role), refreshed before they expire.
      const chain = o.credential;
      base.refreshSTSToken = async () => {
        const cred = await chain.getCredential();
        return { accessKeyId: cred.accessKeyId ?? '', accessKeySecret: cred.accessKeySecret ?? '', stsToken: cred.securityToken ?? '' };
      };
      base.refreshSTSTokenInterval = 10 * 60 * 1000;
    }
    c = new OSS(base);
    clients.set(bucket, c);
    return c;
  }

  return {
    async put(bucket, key, file, options) {
      await client(bucket).putStream(key, fs.createReadStream(file), {
        contentLength: (await fs.promises.stat(file)).size,
        headers: options?.forbidOverwrite ? { 'x-oss-forbid-overwrite': 'true' } : undefined,
      } as OSS.PutStreamOptions);
    },
    async initMultipart(bucket, key) {
      return (await client(bucket).initMultipartUpload(key)).uploadId;
    },
    async uploadPart(bucket, key, uploadId, partNumber, file, start, end) {
      // ali-oss reads [start, end) of the file as a stream.
      const r = await client(bucket).uploadPart(key, uploadId, partNumber, file, start, end);
      return r.etag;
    },
    async completeMultipart(bucket, key, uploadId, parts) {
      await client(bucket).completeMultipartUpload(key, uploadId, parts);
    },
    async abortMultipart(bucket, key, uploadId) {
      await client(bucket).abortMultipartUpload(key, uploadId);
    },
    signGetUrl(bucket, key, expiresSeconds) {
      return client(bucket).signatureUrl(key, { expires: expiresSeconds, method: 'GET' });
    },
    async head(bucket, key) {
      try {
        const r = await client(bucket).head(key);
        const headers = r.res.headers as Record<string, string>;
        return { size: Number(headers['content-length'] ?? 0), etag: headers.etag };
      } catch (err) {
        if ((err as { code?: string }).code === 'NoSuchKey' || (err as { status?: number }).status === 404) return undefined;
        throw err;
      }
    },
    async getStream(bucket, key, start) {
      const r = await client(bucket).getStream(key, start ? { headers: { Range: `bytes=${start}-` } } : undefined);
      return r.stream as Readable;
    },
    async delete(bucket, key) {
      await client(bucket).delete(key);
    },
    async list(bucket, prefix) {
      const keys: Array<{ key: string; size: number; lastModified: number }> = [];
      let token: string | undefined;
      do {
        const r = await client(bucket).listV2({ prefix, 'max-keys': '1000', ...(token ? { 'continuation-token': token } : {}) }, {});
        keys.push(...(r.objects ?? []).map((obj) => ({ key: obj.name, size: obj.size, lastModified: Date.parse(obj.lastModified) })));
        token = r.nextContinuationToken ?? undefined;
      } while (token);
      return keys;
    },
    async listUploads(bucket, prefix) {
      const r = await client(bucket).listUploads({ prefix, 'max-uploads': 1000 });
      return (r.uploads ?? []).map((u: { name: string; uploadId: string }) => ({ key: u.name, uploadId: u.uploadId }));
    },
  };
}
