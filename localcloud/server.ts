// Starts the local Alibaba Cloud (VIAPI + OSS + engine) in-process, on 127.0.0.1. It models the real
// service on its own terms: nothing here imports vsr's product code.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createAdmin } from './admin';
import { ControlledClock } from './clock';
import type { Engine } from './engine/engine';
import { createEngine, engineNameFrom, type EngineName } from './engine/engines';
import { applyFaults, defaultFaults, type Faults } from './faults';
import { MAX_VIDEO_BYTES } from './media/rules';
import { ObjectStore } from './oss/objectStore';
import { createOssServer, type OssStats } from './oss/server';
import { RateLimiter } from './rateLimiter';
import { createActions } from './viapi/actions';
import { JobRunner } from './viapi/jobRunner';
import { JobStore } from './viapi/jobStore';
import { createViapiServer, type ViapiStats } from './viapi/server';
import { RequestGuard } from './viapi/signature';
import type { Lookup } from './viapi/sourceFetch';

export interface LocalCloudOptions {
  dataDir: string;
  /** 0 picks a free port. */
  viapiPort?: number;
  ossPort?: number;
  accessKeyId?: string;
  accessKeySecret?: string;
  bucket?: string;
  /** An engine, or its name; default: $VSR_ENGINE, else the learned engine; `zero` for load tests. */
  engine?: Engine | EngineName;
  maxParallelJobs?: number;
  submitsPerSecond?: number;
  faults?: Partial<Faults>;
  /**
   * Loopback `host:port` patterns the provider may fetch a VideoUrl from (`*` for any host or port).
   * The real provider cannot reach the caller's machine, so by default only the stand-in's own OSS is.
   */
  allowLoopbackSources?: string[];
  /** The admin token; a random one is generated when absent. */
  adminToken?: string;
  /** Name resolution for the VideoUrl downloader (tests). */
  lookup?: Lookup;
}

/** What a client needs to reach the stand-in; `vsr localcloud` prints it as one JSON line. */
export interface LocalCloudEndpoints {
  viapiEndpoint: string;
  ossEndpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  bucket: string;
  /** The provider-owned bucket results land in (reachable through signed URLs only). */
  resultsBucket: string;
  /** `${viapiEndpoint}/__admin`: faults, clock, billing; needs `Authorization: Bearer ${adminToken}`. */
  adminEndpoint: string;
  adminToken: string;
}

export interface LocalCloud extends LocalCloudEndpoints {
  faults: Faults;
  clock: ControlledClock;
  jobs: JobStore;
  objects: ObjectStore;
  ossStats: OssStats;
  viapiStats: ViapiStats;
  /** The live allow-list of loopback VideoUrl sources (tests add the servers they start). */
  allowLoopbackSources: string[];
  billableJobs(): number;
  idle(): Promise<void>;
  close(): Promise<void>;
}

export const LOCAL_ACCESS_KEY_ID = 'LTAIvsrLocalDevKey';
export const LOCAL_ACCESS_KEY_SECRET = 'vsr-local-secret-not-for-production';
export const LOCAL_BUCKET = 'vsr-local';
const RESULTS_BUCKET = 'viapi-results';

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startLocalCloud(opts: LocalCloudOptions): Promise<LocalCloud> {
  const accessKeyId = opts.accessKeyId ?? LOCAL_ACCESS_KEY_ID;
  const accessKeySecret = opts.accessKeySecret ?? LOCAL_ACCESS_KEY_SECRET;
  const bucket = opts.bucket ?? LOCAL_BUCKET;
  if (bucket.length < 3 || bucket.length > 63) throw new Error(`bucket ${JSON.stringify(bucket)} must be 3-63 characters`);
  // The provider signs result URLs with a key of its own, which users never hold.
  const providerKey = { id: 'LTAIvsrLocalProvider', secret: `provider-${accessKeySecret}` };
  const credentials = new Map([
    [accessKeyId, accessKeySecret],
    [providerKey.id, providerKey.secret],
  ]);
  const clock = new ControlledClock();
  const faults = applyFaults(defaultFaults(), opts.faults ?? {});
  const adminToken = opts.adminToken ?? randomBytes(24).toString('base64url');
  // Jobs in flight when an earlier process died left their folders here; they are re-run from scratch.
  const workDir = path.join(opts.dataDir, 'work');
  await fs.promises.rm(workDir, { recursive: true, force: true });
  await fs.promises.mkdir(workDir, { recursive: true });

  const objects = new ObjectStore(path.join(opts.dataDir, 'oss'), clock);
  await objects.open([bucket, RESULTS_BUCKET]);
  const jobs = new JobStore(path.join(opts.dataDir, 'viapi'));
  await jobs.open();

  const ossStats: OssStats = { uploadParts: 0, rangeGets: 0, gets: 0 };
  const ossServer = createOssServer({ store: objects, credentials, clock, faults, stats: ossStats, resultsBucket: RESULTS_BUCKET });
  const ossPort = await listen(ossServer, opts.ossPort ?? 0);
  // ali-oss needs a host name (not an IP) for path-style requests and signed URLs.
  const ossEndpoint = `http://localhost:${ossPort}`;

  const allowLoopbackSources = [...(opts.allowLoopbackSources ?? [])];
  let viapiPort = 0;
  const viapiStats: ViapiStats = { calls: {}, errors: {} };
  const engine = typeof opts.engine === 'object' ? opts.engine : createEngine(opts.engine ?? engineNameFrom(undefined), workDir);
  const runner = new JobRunner({
    store: jobs,
    objects,
    resultsBucket: RESULTS_BUCKET,
    engine,
    clock,
    faults,
    maxParallel: opts.maxParallelJobs ?? 2,
    workDir,
    source: {
      allowLoopback: allowLoopbackSources,
      ossPort: () => ossPort,
      refusedPorts: () => [viapiPort],
      maxBytes: MAX_VIDEO_BYTES,
      maxRedirects: 5,
      lookup: opts.lookup,
    },
  });

  const viapiServer = createViapiServer({
    credentials,
    guard: new RequestGuard(),
    faults,
    actions: createActions({
      store: jobs,
      runner,
      clock,
      faults,
      submitLimiter: new RateLimiter(opts.submitsPerSecond ?? 2),
      results: { ossEndpoint, bucket: RESULTS_BUCKET, accessKeyId: providerKey.id, secret: providerKey.secret },
    }),
    admin: createAdmin({
      token: adminToken,
      faults,
      clock,
      billing: () => ({ billableJobs: jobs.billableCount(), oss: ossStats, viapi: viapiStats }),
    }),
    stats: viapiStats,
  });
  viapiPort = await listen(viapiServer, opts.viapiPort ?? 0);
  runner.resume();

  const viapiEndpoint = `http://127.0.0.1:${viapiPort}`;
  return {
    viapiEndpoint,
    ossEndpoint,
    accessKeyId,
    accessKeySecret,
    bucket,
    resultsBucket: RESULTS_BUCKET,
    adminEndpoint: `${viapiEndpoint}/__admin`,
    adminToken,
    faults,
    clock,
    jobs,
    objects,
    ossStats,
    viapiStats,
    allowLoopbackSources,
    billableJobs: () => jobs.billableCount(),
    idle: () => runner.idle(),
    async close() {
      runner.stop();
      await Promise.all([closeServer(viapiServer), closeServer(ossServer)]);
      await jobs.save();
      await fs.promises.rm(workDir, { recursive: true, force: true });
    },
  };
}
