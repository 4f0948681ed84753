// The baseline a plain script gives: the provider's operations called directly in a loop with vsr's own
// provider clients (upload, submit, poll at a fixed interval, download, remove the upload), nothing durable.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createObjectStorage, type ObjectStorage } from '../../activities/provider/oss';
import { createViapiClient, type ViapiClient } from '../../activities/provider/viapi';
import type { CloudEndpoints } from './benchStack';
import { sleep } from './common';

const PART = 8 * 1024 * 1024;

export interface DirectJob {
  source: string;
  destination: string;
}

export interface DirectStats {
  polls: number;
  submits: number;
}

export class DirectLoop {
  private readonly storage: ObjectStorage;
  private readonly viapi: ViapiClient;
  readonly stats: DirectStats = { polls: 0, submits: 0 };

  constructor(
    private readonly cloud: CloudEndpoints,
    /** The fixed poll interval a script would sleep between polls. */
    private readonly pollEveryMs: number,
  ) {
    const credential = { accessKeyId: cloud.accessKeyId, accessKeySecret: cloud.accessKeySecret };
    this.storage = createObjectStorage({ endpoint: cloud.ossEndpoint, credential, pathStyle: true });
    const endpoint = new URL(cloud.viapiEndpoint).host; // the stand-in serves both products on one port
    this.viapi = createViapiClient({ videoenhanEndpoint: endpoint, viapiEndpoint: endpoint, protocol: 'http', credential });
  }

  async one(job: DirectJob, key: string): Promise<void> {
    const { bucket } = this.cloud;
    const size = (await fs.promises.stat(job.source)).size;
    if (size <= PART) await this.storage.put(bucket, key, job.source);
    else {
      const uploadId = await this.storage.initMultipart(bucket, key);
      const parts = [];
      for (let n = 1, start = 0; start < size; n++, start += PART)
        parts.push({
          number: n,
          etag: await this.storage.uploadPart(bucket, key, uploadId, n, job.source, start, Math.min(size, start + PART)),
        });
      await this.storage.completeMultipart(bucket, key, uploadId, parts);
    }
    const { jobId } = await this.viapi.submit(this.storage.signGetUrl(bucket, key, 24 * 3600), 10);
    this.stats.submits += 1;
    let resultUrl: string | undefined;
    for (;;) {
      await sleep(this.pollEveryMs);
      const r = await this.viapi.getResult(jobId);
      this.stats.polls += 1;
      if (r.status === 'PROCESS_SUCCESS') {
        resultUrl = r.resultUrl;
        break;
      }
      if (r.status !== 'QUEUING' && r.status !== 'PROCESSING') throw new Error(`job ${jobId} ended ${r.status}: ${r.errorMessage}`);
    }
    const res = await fetch(resultUrl as string);
    if (!res.ok || !res.body) throw new Error(`download of job ${jobId}: HTTP ${res.status}`);
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), fs.createWriteStream(job.destination));
    await this.storage.delete(bucket, key);
  }

  /** All jobs, at most `concurrency` at once. */
  async all(jobs: DirectJob[], concurrency: number): Promise<void> {
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < jobs.length) {
        const i = next++;
        await this.one(jobs[i], `direct/${i}/${Date.now()}/source`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, lane));
  }
}
