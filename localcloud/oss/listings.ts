// The three OSS listings, paged as the real service pages them: objects (v1 markers and v2 continuation
// tokens, with delimiter -> CommonPrefixes), multipart uploads (key/upload-id markers) and parts.
import { OssError, type ObjectMeta, type PartMeta, type UploadMeta } from './objectStore';
import { fields, xmlEscape } from './xml';

export const OWNER = { id: '1', name: 'vsr-local' };
const ownerXml = () => `<Owner><ID>${OWNER.id}</ID><DisplayName>${OWNER.name}</DisplayName></Owner>`;

/** OSS's timestamp form in XML: ISO-8601 with whole seconds (`2026-01-02T03:04:05.000Z`). */
export const isoSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString();

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

function intParam(q: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = q.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max)
    throw new OssError(400, 'InvalidArgument', `${name} must be an integer from ${min} to ${max}.`);
  return n;
}

/** `encoding-type=url` asks for names percent-encoded (keys may hold characters XML cannot carry). */
function encoder(q: URLSearchParams): { enc: (s: string) => string; xml: string } {
  const encodingType = q.get('encoding-type');
  if (encodingType === null || encodingType === '') return { enc: (s) => s, xml: '' };
  if (encodingType !== 'url') throw new OssError(400, 'InvalidArgument', `encoding-type ${encodingType} is not supported; use url.`);
  return { enc: encodeURIComponent, xml: '<EncodingType>url</EncodingType>' };
}

/**
 * One page of names after `after`, grouping keys by `delimiter` into common prefixes; each entry and
 * each prefix counts toward `max`. A marker that is itself a common prefix skips that whole group.
 */
function page<T>(items: T[], name: (t: T) => string, prefix: string, delimiter: string, after: (t: T) => boolean, max: number) {
  const contents: T[] = [];
  const prefixes: string[] = [];
  let next: T | string | undefined;
  let truncated = false;
  for (const item of items) {
    const key = name(item);
    if (!key.startsWith(prefix) || !after(item)) continue;
    let group: string | undefined;
    if (delimiter) {
      const at = key.indexOf(delimiter, prefix.length);
      if (at >= 0) group = key.slice(0, at + delimiter.length);
    }
    if (group !== undefined && group === prefixes.at(-1)) continue;
    if (contents.length + prefixes.length === max) {
      truncated = true;
      break;
    }
    if (group !== undefined) prefixes.push((next = group));
    else contents.push((next = item));
  }
  return { contents, prefixes, truncated, next };
}

/** Whether `key` comes after `marker` in a listing (a marker ending in the delimiter skips its group). */
function afterMarker(key: string, marker: string, delimiter: string): boolean {
  if (!marker) return true;
  if (delimiter && marker.endsWith(delimiter) && key.startsWith(marker)) return false;
  return byteOrder(key, marker) > 0;
}

export function listObjectsXml(bucket: string, objects: ObjectMeta[], q: URLSearchParams): string {
  const v2 = q.get('list-type') === '2';
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const max = intParam(q, 'max-keys', 100, 1, 1000);
  const { enc, xml: encodingXml } = encoder(q);
  const token = q.get('continuation-token');
  let after: string;
  if (v2 && token) {
    after = Buffer.from(token, 'base64url').toString('utf8');
    if (!after || Buffer.from(after).toString('base64url') !== token)
      throw new OssError(400, 'InvalidArgument', 'The continuation token provided is incorrect.');
  } else after = (v2 ? q.get('start-after') : q.get('marker')) ?? ''; // start-after applies when the token is absent or empty
  const p = page(
    objects,
    (m) => m.key,
    prefix,
    delimiter,
    (m) => afterMarker(m.key, after, delimiter),
    max,
  );
  const nextName = typeof p.next === 'string' ? p.next : p.next?.key;
  const withOwner = !v2 || q.get('fetch-owner') === 'true';
  const contents = p.contents
    .map(
      (m) =>
        `<Contents><Key>${xmlEscape(enc(m.key))}</Key><LastModified>${isoSeconds(m.lastModified)}</LastModified><ETag>${m.etag}</ETag><Type>${m.type}</Type><Size>${m.size}</Size><StorageClass>Standard</StorageClass>${withOwner ? ownerXml() : ''}</Contents>`,
    )
    .join('');
  const common = p.prefixes.map((c) => `<CommonPrefixes><Prefix>${xmlEscape(enc(c))}</Prefix></CommonPrefixes>`).join('');
  const head = fields({ Name: bucket, Prefix: enc(prefix) });
  if (v2) {
    return `<ListBucketResult>${head}${fields({ ContinuationToken: token || undefined, StartAfter: q.get('start-after') ? enc(q.get('start-after') ?? '') : undefined, MaxKeys: max, Delimiter: enc(delimiter) })}${encodingXml}${fields({ IsTruncated: p.truncated, KeyCount: p.contents.length + p.prefixes.length, NextContinuationToken: p.truncated && nextName ? Buffer.from(nextName).toString('base64url') : undefined })}${contents}${common}</ListBucketResult>`;
  }
  return `<ListBucketResult>${head}${fields({ Marker: enc(after), MaxKeys: max, Delimiter: enc(delimiter) })}${encodingXml}${fields({ IsTruncated: p.truncated, NextMarker: p.truncated && nextName ? enc(nextName) : undefined })}${contents}${common}</ListBucketResult>`;
}

export function listUploadsXml(bucket: string, uploads: UploadMeta[], q: URLSearchParams): string {
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const keyMarker = q.get('key-marker') ?? '';
  const idMarker = q.get('upload-id-marker') ?? '';
  const max = intParam(q, 'max-uploads', 1000, 1, 1000);
  const { enc, xml: encodingXml } = encoder(q);
  const sorted = [...uploads].sort((a, b) => byteOrder(a.key, b.key) || byteOrder(a.uploadId, b.uploadId));
  const after = (u: UploadMeta) =>
    !keyMarker ||
    (u.key === keyMarker ? Boolean(idMarker) && byteOrder(u.uploadId, idMarker) > 0 : afterMarker(u.key, keyMarker, delimiter));
  const p = page(sorted, (u) => u.key, prefix, delimiter, after, max);
  const next = p.truncated ? p.next : undefined;
  const nextKey = typeof next === 'string' ? next : next?.key;
  const nextId = typeof next === 'object' ? next.uploadId : undefined;
  return `<ListMultipartUploadsResult>${fields({
    Bucket: bucket,
    KeyMarker: enc(keyMarker),
    UploadIdMarker: idMarker,
    NextKeyMarker: nextKey === undefined ? '' : enc(nextKey),
    NextUploadIdMarker: nextId ?? '',
    Delimiter: enc(delimiter),
    Prefix: enc(prefix),
    MaxUploads: max,
  })}${encodingXml}${fields({ IsTruncated: p.truncated })}${p.contents
    .map(
      (u) =>
        `<Upload>${fields({ Key: enc(u.key), UploadId: u.uploadId, StorageClass: 'Standard', Initiated: isoSeconds(u.initiated) })}</Upload>`,
    )
    .join(
      '',
    )}${p.prefixes.map((c) => `<CommonPrefixes><Prefix>${xmlEscape(enc(c))}</Prefix></CommonPrefixes>`).join('')}</ListMultipartUploadsResult>`;
}

export function listPartsXml(bucket: string, key: string, uploadId: string, parts: PartMeta[], q: URLSearchParams): string {
  const max = intParam(q, 'max-parts', 1000, 1, 1000);
  const marker = intParam(q, 'part-number-marker', 0, 0, 10000);
  const { enc, xml: encodingXml } = encoder(q);
  const after = parts.filter((p) => p.partNumber > marker);
  const shown = after.slice(0, max);
  const truncated = after.length > shown.length;
  return `<ListPartsResult>${fields({ Bucket: bucket, Key: enc(key), UploadId: uploadId })}${encodingXml}${fields({
    StorageClass: 'Standard',
    PartNumberMarker: marker,
    NextPartNumberMarker: shown.at(-1)?.partNumber ?? marker,
    MaxParts: max,
    IsTruncated: truncated,
  })}${shown
    .map(
      (p) =>
        `<Part><PartNumber>${p.partNumber}</PartNumber><LastModified>${isoSeconds(p.lastModified)}</LastModified><ETag>${p.etag}</ETag><HashCrc64ecma>${p.crc64}</HashCrc64ecma><Size>${p.size}</Size></Part>`,
    )
    .join('')}</ListPartsResult>`;
}

export function listBucketsXml(buckets: string[], created: number): string {
  return `<ListAllMyBucketsResult>${ownerXml()}<Buckets>${buckets
    .map(
      (b) =>
        `<Bucket>${fields({ CreationDate: isoSeconds(created), ExtranetEndpoint: 'oss-cn-shanghai.aliyuncs.com', IntranetEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com', Location: 'oss-cn-shanghai', Name: b, Region: 'cn-shanghai', StorageClass: 'Standard' })}</Bucket>`,
    )
    .join('')}</Buckets></ListAllMyBucketsResult>`;
}

export function bucketInfoXml(bucket: string, created: number): string {
  return `<BucketInfo><Bucket>${fields({
    AccessMonitor: 'Disabled',
    CreationDate: isoSeconds(created),
    ExtranetEndpoint: 'oss-cn-shanghai.aliyuncs.com',
    IntranetEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
    Location: 'oss-cn-shanghai',
    StorageClass: 'Standard',
    TransferAcceleration: 'Disabled',
    CrossRegionReplication: 'Disabled',
    Name: bucket,
    ResourceGroupId: 'rg-default',
  })}${ownerXml()}<AccessControlList><Grant>private</Grant></AccessControlList><Comment></Comment><DataRedundancyType>LRS</DataRedundancyType><Versioning></Versioning><ServerSideEncryptionRule><SSEAlgorithm>None</SSEAlgorithm></ServerSideEncryptionRule><BucketPolicy><LogBucket></LogBucket><LogPrefix></LogPrefix></BucketPolicy></Bucket></BucketInfo>`;
}

export const aclXml = (grant: string) =>
  `<AccessControlPolicy>${ownerXml()}<AccessControlList><Grant>${grant}</Grant></AccessControlList></AccessControlPolicy>`;
