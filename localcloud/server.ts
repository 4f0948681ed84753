// Starts the local Alibaba Cloud (VIAPI + OSS + engine) in-process, on 127.0.0.1.
import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { LIMITS } from '../activities/media';
import { ControlledClock } from './clock';
import type { Engine } from './engine/engine';
import { createEngine, engineNameFrom, type EngineName } from './engine/engines';
import { applyFaults, defaultFaults, type Faults } from './faults';
import { sendJson } from './http';
import { ObjectStore } from './oss/objectStore';
import { createOssServer, type OssStats } from './oss/server';
import { RateLimiter } from './rateLimiter';
import { JobRunner } from './viapi/jobRunner';
import { JobStore } from './viapi/jobStore';
import { createViapiServer } from './viapi/server';

export interface LocalCloudOptions {
  dataDir: string;
  /** 0 picks a free port. */
  viapiPort?: number;
  ossPort?: number;
  accessKeyId?: string;
  accessKeySecret?: string;
  bucket?: string;
  /** An engine, or its name; default: $VSR_ENGINE, else the learned engine. */
  engine?: Engine | EngineName;
  maxParallelJobs?: number;
  submitsPerSecond?: number;
  faults?: Partial<Faults>;
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
}

export interface LocalCloud extends LocalCloudEndpoints {
  faults: Faults;
  clock: ControlledClock;
  jobs: JobStore;
  objects: ObjectStore;
  ossStats: OssStats;
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
  const workDir = path.join(opts.dataDir, 'work');
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

  const engine = typeof opts.engine === 'object' ? opts.engine : createEngine(opts.engine ?? engineNameFrom(undefined));
  const runner = new JobRunner({
    store: jobs,
    objects,
    resultsBucket: RESULTS_BUCKET,
    engine,
    clock,
    faults,
    maxParallel: opts.maxParallelJobs ?? 2,
    workDir,
    maxInputBytes: LIMITS.maxBytes,
  });

  const viapiServer = createViapiServer({
    credentials,
    store: jobs,
    runner,
    clock,
    faults,
    submitLimiter: new RateLimiter(opts.submitsPerSecond ?? 2),
    results: { ossEndpoint, bucket: RESULTS_BUCKET, accessKeyId: providerKey.id, secret: providerKey.secret },
    admin: async (req, res, route, body) => {
      let input: Record<string, unknown>;
      try {
        input = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
        if (route === 'faults' && req.method === 'POST') applyFaults(faults, input);
      } catch (err) {
        return sendJson(res, 400, { Code: 'InvalidParameter', Message: (err as Error).message });
      }
      if (route === 'faults') return sendJson(res, 200, faults);
      if (route === 'clock' && req.method === 'POST') {
        clock.advance(Number(input.advanceMs ?? 0));
        return sendJson(res, 200, { now: clock.now() });
      }
      if (route === 'billing') return sendJson(res, 200, { billableJobs: jobs.billableCount(), oss: ossStats });
      sendJson(res, 404, { Code: 'NotFound', Message: `no admin route ${route}` });
    },
  });
  const viapiPort = await listen(viapiServer, opts.viapiPort ?? 0);
  runner.resume();

  return {
    viapiEndpoint: `http://127.0.0.1:${viapiPort}`,
    ossEndpoint,
    accessKeyId,
    accessKeySecret,
    bucket,
    resultsBucket: RESULTS_BUCKET,
    faults,
    clock,
    jobs,
    objects,
    ossStats,
    billableJobs: () => jobs.billableCount(),
    idle: () => runner.idle(),
    async close() {
      runner.stop();
      await Promise.all([closeServer(viapiServer), closeServer(ossServer)]);
      await jobs.save();
    },
  };
}
