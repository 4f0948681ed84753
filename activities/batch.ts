// Batch activities: list a manifest page by page, look up earlier runs of an item, write summaries and markers.
import fs from 'node:fs';
import path from 'node:path';
import type { BatchInput, BatchItemResult, BatchItemSpec, BatchOutput, BatchPage, Manifest } from '../workflows/batchContract';
import type { Destination, SuperResolveResult } from '../workflows/contract';
import { ErrorTypes } from '../workflows/contract';
import { workflowIdFor } from '../workflows/ids';
import {
  baseName,
  describeLocation,
  LocationError,
  parseDestination,
  parseLocation,
  upscaledFileName,
  urlCredentials,
} from '../workflows/locations';
import { outputStore } from './batchOutput';
import type { ActivityDeps } from './deps';
import { finalError } from './failures';
import { bitRateFromText } from './media';

/** Names worth probing; the validate stage still decides by content. */
const VIDEO_EXTENSIONS = new Set(['.mp4', '.m4v', '.mov', '.avi', '.mkv', '.flv', '.ts', '.mpg', '.mpeg', '.mxf']);
const MARKER = '.vsr-last-success.json';

interface Listed {
  name: string; // path relative to the folder or prefix
  source: BatchItemSpec['source'];
  modified: number;
}

function isVideo(name: string): boolean {
  return VIDEO_EXTENSIONS.has(path.extname(name).toLowerCase());
}

async function listFolder(root: string, skip: string | undefined): Promise<Listed[]> {
  const out: Listed[] = [];
  async function walk(dir: string): Promise<void> {
    for (const e of await fs.promises.readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (p !== skip && !e.name.startsWith('.')) await walk(p);
      } else if (e.isFile() && isVideo(e.name)) {
        out.push({ name: path.relative(root, p), source: { kind: 'local', path: p }, modified: (await fs.promises.stat(p)).mtimeMs });
      }
    }
  }
  await walk(root);
  return out;
}

function outputFor(output: BatchOutput, relative: string): Destination {
  const name = upscaledFileName(relative);
  return output.kind === 'local'
    ? { kind: 'local', path: path.join(output.dir, name) }
    : { kind: 'oss', bucket: output.bucket, key: `${output.prefix}${name}` };
}

type ManifestRow = { source?: unknown; destination?: unknown; bitRateMbps?: unknown; bitRate?: unknown };

/** A CSV manifest's rows: `source,destination,bitrate` (Mbps), destination and bitrate optional, an optional header. */
function csvRows(text: string, where: (i: number) => string): ManifestRow[] {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim() && !/^source\s*,/i.test(l))
    .map((l, i) => {
      const cells = l.split(',').map((c) => c.trim());
      if (cells.length > 3) throw new LocationError(`${where(i)} has ${cells.length} cells; expected source,destination,bitrate`);
      const [source, destination, bitRate] = cells;
      return { source, destination: destination || undefined, bitRateMbps: bitRate || undefined };
    });
}

/** A JSON manifest's rows: an array of {source, destination?, bitRateMbps?}. */
function jsonRows(text: string, file: string): ManifestRow[] {
  let rows: unknown;
  try {
    rows = JSON.parse(text);
  } catch (err) {
    throw new LocationError(`manifest ${file} is not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(rows)) throw new LocationError(`manifest ${file} must be a JSON array of {source, destination?, bitRateMbps?}`);
  return rows.map((r: unknown, i) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r))
      throw new LocationError(`manifest ${file} entry ${i + 1} must be an object {source, destination?, bitRateMbps?}`);
    return r;
  });
}

/** A row's bitrate: a JSON number as is (validation checks it), a text through the one bitrate parser. */
function rowBitRate(value: unknown, field: string): number | undefined {
  if (value === undefined || typeof value === 'number') return value;
  const parsed = bitRateFromText(typeof value === 'string' ? value : JSON.stringify(value), field);
  if ('violation' in parsed) throw new LocationError(parsed.violation.message);
  return parsed.value;
}

/**
 * Manifest files: a JSON array of {source, destination?, bitRateMbps?} or CSV `source,destination,bitrate` (Mbps).
 * A malformed row, or two rows writing the same destination, refuses the whole manifest before anything runs.
 */
async function readManifestFile(file: string, output: BatchOutput): Promise<BatchItemSpec[]> {
  const text = await fs.promises.readFile(file, 'utf8').catch(() => {
    throw finalError(ErrorTypes.InvalidManifest, `manifest ${file} cannot be read`);
  });
  const resolve = (p: string) => path.resolve(path.dirname(file), p);
  const where = (i: number) => `manifest ${file} entry ${i + 1}`;
  const written = new Map<string, number>();
  try {
    const rows = file.endsWith('.json') ? jsonRows(text, file) : csvRows(text, where);
    return rows.map((r, i) => {
      if (typeof r.source !== 'string' || !r.source) throw new LocationError(`${where(i)} has no source`);
      if (r.destination !== undefined && typeof r.destination !== 'string')
        throw new LocationError(`${where(i)} destination must be a text`);
      const source = parseLocation(r.source, `${where(i)} source`, resolve);
      const destination = r.destination
        ? parseDestination(r.destination, `${where(i)} destination`, resolve)
        : outputFor(output, baseName(source) || `video-${i + 1}`);
      const earlier = written.get(describeLocation(destination));
      if (earlier !== undefined)
        throw new LocationError(
          `${where(i)} writes ${describeLocation(destination)}, as entry ${earlier + 1} does; each output may be written once`,
        );
      written.set(describeLocation(destination), i);
      // `bitRate` is the name manifests written before vsr 0.2 used; it meant Mbps too.
      return { source, destination, bitRateMbps: rowBitRate(r.bitRateMbps ?? r.bitRate, `${where(i)} bitrate`) };
    });
  } catch (err) {
    if (err instanceof LocationError) throw finalError(ErrorTypes.InvalidManifest, err.message);
    throw err;
  }
}

/**
 * The batch's own output tree (folders mirroring the listed folder) is the batch's to make; a destination a
 * manifest names elsewhere must exist already, as for `vsr upscale --out`.
 */
async function makeOutputFolders(output: BatchOutput, items: BatchItemSpec[]): Promise<void> {
  if (output.kind !== 'local') return;
  for (const item of items) {
    if (item.destination.kind !== 'local') continue;
    const dir = path.dirname(item.destination.path);
    const relative = path.relative(output.dir, dir);
    if (!relative.startsWith('..') && !path.isAbsolute(relative)) await fs.promises.mkdir(dir, { recursive: true });
  }
}

/** Items become child workflows' inputs, stored in history: no URL credentials there unless payloads are encrypted. */
function refuseCredentials(items: BatchItemSpec[]): void {
  for (const item of items) {
    const credentials = item.source.kind === 'url' ? urlCredentials(item.source.url) : undefined;
    if (credentials)
      throw finalError(
        ErrorTypes.InvalidManifest,
        `manifest source ${describeLocation(item.source)} carries ${credentials}, which must not be stored in workflow history in plain text; set VSR_PAYLOAD_KEY (payload encryption) or use oss:// sources`,
      );
  }
}

export function makeBatchActivities(deps: ActivityDeps) {
  async function listAll(manifest: Manifest, output: BatchOutput, since: number | undefined): Promise<BatchItemSpec[]> {
    if (manifest.kind === 'items') return manifest.items;
    if (manifest.kind === 'file') return readManifestFile(manifest.path, output);
    let listed: Listed[];
    if (manifest.kind === 'folder') {
      const stat = await fs.promises.stat(manifest.path).catch(() => undefined);
      if (!stat?.isDirectory()) throw finalError(ErrorTypes.SourceNotFound, `manifest folder ${manifest.path} does not exist`);
      listed = await listFolder(manifest.path, output.kind === 'local' ? output.dir : undefined);
    } else {
      const objects = await deps.storage.list(manifest.bucket, manifest.prefix);
      const outPrefix = output.kind === 'oss' && output.bucket === manifest.bucket ? output.prefix : undefined;
      listed = objects
        .filter((o) => isVideo(o.key) && !(outPrefix && o.key.startsWith(outPrefix)))
        .map((o) => ({
          name: o.key.slice(manifest.prefix.length),
          source: { kind: 'oss' as const, bucket: manifest.bucket, key: o.key },
          modified: o.lastModified,
        }));
    }
    return listed
      .filter((l) => since === undefined || l.modified > since)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((l) => ({ source: l.source, destination: outputFor(output, l.name) }));
  }

  return {
    /** One page of the manifest, in a stable order, each item with its child workflow id. */
    listBatchItems: async (input: {
      batch: BatchInput;
      since?: number;
      offset: number;
      limit: number;
      forceTag?: string;
    }): Promise<BatchPage> => {
      const all = await listAll(input.batch.manifest, input.batch.output, input.since);
      const page = all.slice(input.offset, input.offset + input.limit);
      if (!deps.payloadsEncrypted) refuseCredentials(page);
      await makeOutputFolders(input.batch.output, page);
      const items = page.map((item) => {
        const spec = { ...item, bitRateMbps: item.bitRateMbps ?? input.batch.bitRateMbps };
        const id = workflowIdFor({ source: spec.source, destination: spec.destination, bitRateMbps: spec.bitRateMbps });
        return { ...spec, workflowId: input.forceTag ? `${id}-${input.forceTag}` : id };
      });
      return { items, total: all.length };
    },

    /** What became of an item's workflow started earlier (by another batch or by `vsr upscale`). */
    describeItem: async (input: {
      workflowId: string;
    }): Promise<{ status: string; result?: Pick<SuperResolveResult, 'jobId' | 'sizeBytes' | 'sha256'> }> => {
      if (!deps.temporal) throw new Error('describeItem needs a Temporal client in the activity deps');
      const handle = deps.temporal.workflow.getHandle(input.workflowId);
      const status = (await handle.describe()).status.name;
      if (status !== 'COMPLETED') return { status };
      const r = (await handle.result()) as SuperResolveResult;
      return { status, result: { jobId: r.jobId, sizeBytes: r.sizeBytes, sha256: r.sha256 } };
    },

    writeBatchPage: async (input: { batchId: string; output: BatchOutput; page: number; rows: BatchItemResult[] }): Promise<void> => {
      const store = outputStore(input.output, deps.storage);
      await store.write(`.vsr-batch-${input.batchId}/page-${String(input.page).padStart(6, '0')}.json`, JSON.stringify(input.rows));
    },

    /** Joins the pages into `vsr-batch-<id>.json` and `.csv` next to the outputs. */
    writeBatchSummary: async (input: {
      batchId: string;
      output: BatchOutput;
      pages: number;
      header: Record<string, unknown>;
    }): Promise<{ json: string; csv: string }> => {
      const store = outputStore(input.output, deps.storage);
      const rows: BatchItemResult[] = [];
      for (let p = 0; p < input.pages; p++) {
        const text = await store.read(`.vsr-batch-${input.batchId}/page-${String(p).padStart(6, '0')}.json`);
        if (text) rows.push(...(JSON.parse(text) as BatchItemResult[]));
      }
      const columns: Array<keyof BatchItemResult> = [
        'source',
        'destination',
        'status',
        'reason',
        'workflowId',
        'jobId',
        'sizeBytes',
        'sha256',
      ];
      const cell = (v: string | number | undefined) =>
        v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v);
      const csv = [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
      await store.write(`vsr-batch-${input.batchId}.json`, JSON.stringify({ ...input.header, items: rows }, null, 2));
      await store.write(`vsr-batch-${input.batchId}.csv`, csv);
      for (let p = 0; p < input.pages; p++) await store.remove(`.vsr-batch-${input.batchId}/page-${String(p).padStart(6, '0')}.json`);
      if (input.output.kind === 'local')
        await fs.promises.rm(path.join(input.output.dir, `.vsr-batch-${input.batchId}`), { recursive: true, force: true });
      return { json: store.location(`vsr-batch-${input.batchId}.json`), csv: store.location(`vsr-batch-${input.batchId}.csv`) };
    },

    readBatchMarker: async (input: { output: BatchOutput }): Promise<number | undefined> => {
      const text = await outputStore(input.output, deps.storage).read(MARKER);
      return text ? (JSON.parse(text) as { startedAt: number }).startedAt : undefined;
    },

    writeBatchMarker: async (input: { output: BatchOutput; startedAt: number; batchId: string }): Promise<void> => {
      await outputStore(input.output, deps.storage).write(MARKER, JSON.stringify(input));
    },
  };
}
