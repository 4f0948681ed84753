// The local Alibaba stand-in, driven by the real @alicloud/openapi-core and ali-oss clients.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenApi, { $OpenApiUtil } from '@alicloud/openapi-core';
import * as $dara from '@darabonba/typescript';
import OSS from 'ali-oss';
import { probe } from '../../activities/media';
import { ViapiCallError, type JobResult, type ViapiClient } from '../../activities/provider/viapi';
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from '../../localcloud/server';
import { ossFor, viapiFor } from '../harness/localcloudClients';
import { makeSampleVideo } from '../../app/embedded/sample';

async function waitForEnd(viapi: ViapiClient, jobId: string, timeoutMs = 120_000): Promise<JobResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await viapi.getResult(jobId);
    if (r.status !== 'QUEUING' && r.status !== 'PROCESSING') return r;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${r.status}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

async function download(url: string, file: string): Promise<void> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `download ${url}`);
  await fs.promises.writeFile(file, Buffer.from(await res.arrayBuffer()));
}

describe('local Alibaba stand-in', () => {
  let dir: string;
  let cloud: LocalCloud;
  let source: string;

  before(async () => {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'vsr-localcloud-'));
    cloud = await startLocalCloud({ dataDir: path.join(dir, 'cloud'), engine: 'quality', submitsPerSecond: 0 });
    source = await makeSampleVideo(path.join(dir, 'in.mp4'), { width: 640, height: 360, seconds: 2 });
  });
  async function withCloud(name: string, fn: (c: LocalCloud) => Promise<void>, opts: Partial<LocalCloudOptions> = {}): Promise<void> {
    const own = await startLocalCloud({ dataDir: path.join(dir, name), ...opts });
    try {
      await fn(own);
    } finally {
      await own.close();
    }
  }

  after(async () => {
    await cloud.close();
    await fs.promises.rm(dir, { recursive: true, force: true });
  });

  it('upscales 2x as H.264/MP4 at the requested bitrate, keeping audio and duration', async () => {
    const oss = ossFor(cloud);
    await oss.put(cloud.bucket, 'in/sample.mp4', source);
    const viapi = viapiFor(cloud);
    const { jobId } = await viapi.submit(oss.signGetUrl(cloud.bucket, 'in/sample.mp4', 3600), 4);
    const done = await waitForEnd(viapi, jobId);
    assert.equal(done.status, 'PROCESS_SUCCESS', done.errorMessage);
    assert.ok(done.resultUrl);
    const out = path.join(dir, 'out.mp4');
    await download(done.resultUrl, out);
    const facts = await probe(out);
    const input = await probe(source);
    assert.match(facts.formatName, /mp4/);
    assert.equal(facts.videoCodec, 'h264');
    assert.equal(facts.width, 1280);
    assert.equal(facts.height, 720);
    assert.ok(facts.hasAudio, 'audio kept');
    assert.ok(
      Math.abs(facts.durationSeconds - input.durationSeconds) < 0.15,
      `duration ${facts.durationSeconds} vs ${input.durationSeconds}`,
    );
    const ratio = facts.bitRate / 4_000_000;
    assert.ok(ratio > 0.9 && ratio < 1.1, `bitrate ${facts.bitRate} not within 10% of 4 Mbps`);
  });

  it('accepts the legacy v2 signature too', async () => {
    const client = new OpenApi(
      new $OpenApiUtil.Config({
        endpoint: cloud.viapiEndpoint.replace('http://', ''),
        protocol: 'http',
        accessKeyId: cloud.accessKeyId,
        accessKeySecret: cloud.accessKeySecret,
        signatureAlgorithm: 'v2',
      }),
    );
    const params = new $OpenApiUtil.Params({
      action: 'QueryAsyncJobList',
      version: '2020-03-20',
      protocol: 'HTTPS',
      pathname: '/',
      method: 'POST',
      authType: 'AK',
      style: 'RPC',
      reqBodyType: 'formData',
      bodyType: 'json',
    });
    const res = await client.callApi(params, new $OpenApiUtil.OpenApiRequest({ body: { PageSize: 5 } }), new $dara.RuntimeOptions({}));
    assert.equal(typeof (res.body as { Data: { TotalCount: number } }).Data.TotalCount, 'number');
  });

  it('rejects a wrong secret and an unknown key', async () => {
    await assert.rejects(
      viapiFor(cloud, 'wrong').getResult('x'),
      (e: ViapiCallError) => e.code === 'SignatureDoesNotMatch' && e.outcome === 'rejected',
    );
    await assert.rejects(
      viapiFor(cloud, 's', 'LTAInobody').getResult('x'),
      (e: ViapiCallError) => e.code === 'InvalidAccessKeyId.NotFound',
    );
    await assert.rejects(
      ossFor(cloud, 'wrong').put(cloud.bucket, 'k', source),
      (e: { code?: string }) => e.code === 'SignatureDoesNotMatch',
    );
  });

  it('validates VideoUrl and BitRate at submit, and refuses bad videos as PROCESS_FAILED', async () => {
    const viapi = viapiFor(cloud);
    await assert.rejects(
      viapi.submit('http://127.0.0.1:1/v.mp4', 0),
      (e: ViapiCallError) => e.code === 'InvalidParameter' && /BitRate/.test(e.message),
    );
    await assert.rejects(viapi.submit('http://127.0.0.1:1/视频.mp4', 5), (e: ViapiCallError) => e.code === 'InvalidParameter');
    const unreachable = await waitForEnd(viapi, (await viapi.submit('http://127.0.0.1:1/v.mp4', 5)).jobId);
    assert.equal(unreachable.status, 'PROCESS_FAILED');
    assert.equal(unreachable.errorCode, 'InvalidImage.Download');
    const tiny = await makeSampleVideo(path.join(dir, 'tiny.mp4'), { width: 320, height: 240, seconds: 1 });
    const oss = ossFor(cloud);
    await oss.put(cloud.bucket, 'in/tiny.mp4', tiny);
    const small = await waitForEnd(viapi, (await viapi.submit(oss.signGetUrl(cloud.bucket, 'in/tiny.mp4', 600), 5)).jobId);
    assert.equal(small.status, 'PROCESS_FAILED');
    assert.equal(small.errorCode, 'InvalidFile.Resolution');
  });

  it('expires signed URLs on its own clock (403 after 30 minutes)', async () => {
    // A cloud of its own: moving the clock would expire the URLs other tests sign.
    await withCloud('expiry', async (own) => {
      const oss = ossFor(own);
      await oss.put(own.bucket, 'in/expiring.mp4', source);
      const url = oss.signGetUrl(own.bucket, 'in/expiring.mp4', 1800);
      assert.equal((await fetch(url)).status, 200);
      own.clock.advance(1799 * 1000);
      assert.equal((await fetch(url)).status, 200, 'still valid just before 30 minutes');
      own.clock.advance(5 * 1000);
      const res = await fetch(url);
      assert.equal(res.status, 403);
      assert.match(await res.text(), /<Code>AccessDenied<\/Code>/);
    });
  });

  it('streams multipart uploads, lists with Owner, and aborts', async () => {
    const oss = ossFor(cloud);
    const big = path.join(dir, 'big.bin');
    await fs.promises.writeFile(big, Buffer.alloc(300 * 1024, 7));
    const uploadId = await oss.initMultipart(cloud.bucket, 'mp/big.bin');
    const etags = [];
    for (const [i, [s, e]] of [
      [0, 150 * 1024],
      [150 * 1024, 300 * 1024],
    ].entries()) {
      etags.push({ number: i + 1, etag: await oss.uploadPart(cloud.bucket, 'mp/big.bin', uploadId, i + 1, big, s, e) });
    }
    await oss.completeMultipart(cloud.bucket, 'mp/big.bin', uploadId, etags);
    assert.deepEqual(await oss.head(cloud.bucket, 'mp/big.bin'), { size: 300 * 1024 });
    const listed = await oss.list(cloud.bucket, 'mp/');
    assert.deepEqual(
      listed.map((o) => [o.key, o.size]),
      [['mp/big.bin', 300 * 1024]],
    );
    assert.ok(Math.abs(listed[0].lastModified - Date.now()) < 60_000);
    const aborted = await oss.initMultipart(cloud.bucket, 'mp/aborted.bin');
    await oss.abortMultipart(cloud.bucket, 'mp/aborted.bin', aborted);
    await assert.rejects(
      oss.uploadPart(cloud.bucket, 'mp/aborted.bin', aborted, 1, big, 0, 1024),
      (e: { code?: string }) => e.code === 'NoSuchUpload',
    );
    await oss.delete(cloud.bucket, 'mp/big.bin');
    assert.equal(await oss.head(cloud.bucket, 'mp/big.bin'), undefined);
  });

  it('serves byte ranges so downloads can resume', async () => {
    const oss = ossFor(cloud);
    await oss.put(cloud.bucket, 'in/range.mp4', source);
    const size = (await fs.promises.stat(source)).size;
    const res = await fetch(oss.signGetUrl(cloud.bucket, 'in/range.mp4', 60), { headers: { range: 'bytes=100-' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-range'), `bytes 100-${size - 1}/${size}`);
    assert.equal((await res.arrayBuffer()).byteLength, size - 100);
  });

  describe('fault injection, observed from the client', () => {
    it('answers 5xx and throttling on demand', async () => {
      const viapi = viapiFor(cloud);
      cloud.faults.viapiServerErrorRate = 1;
      await assert.rejects(viapi.getResult('x'), (e: ViapiCallError) => e.statusCode === 503 && e.outcome === 'rejected');
      cloud.faults.viapiServerErrorRate = 0;
      cloud.faults.viapiThrottleRate = 1;
      await assert.rejects(viapi.getResult('x'), (e: ViapiCallError) => e.throttled);
      cloud.faults.viapiThrottleRate = 0;
      cloud.faults.ossServerErrorRate = 1;
      await assert.rejects(ossFor(cloud).head(cloud.bucket, 'x'), (e: { status?: number }) => e.status === 500);
      cloud.faults.ossServerErrorRate = 0;
    });

    it('ends jobs as PROCESS_FAILED, TIMEOUT_FAILED and LIMIT_RETRY_FAILED on demand', async () => {
      const viapi = viapiFor(cloud);
      cloud.faults.nextJobOutcomes = ['PROCESS_FAILED', 'TIMEOUT_FAILED', 'LIMIT_RETRY_FAILED'];
      const ends = [];
      for (let i = 0; i < 3; i++) ends.push((await waitForEnd(viapi, (await viapi.submit('http://127.0.0.1:1/v.mp4', 5)).jobId)).status);
      assert.deepEqual(ends, ['PROCESS_FAILED', 'TIMEOUT_FAILED', 'LIMIT_RETRY_FAILED']);
    });

    it('keeps slow jobs PROCESSING for the injected delay', async () => {
      const viapi = viapiFor(cloud);
      cloud.faults.jobDelayMs = 1500;
      cloud.faults.nextJobOutcomes = ['PROCESS_FAILED'];
      const { jobId } = await viapi.submit('http://127.0.0.1:1/v.mp4', 5);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal((await viapi.getResult(jobId)).status, 'PROCESSING');
      cloud.faults.jobDelayMs = 0;
      assert.equal((await waitForEnd(viapi, jobId)).status, 'PROCESS_FAILED');
    });

    it('accepts and bills a submit whose response never arrives, and QueryAsyncJobList finds it', async () => {
      const viapi = viapiFor(cloud);
      const before = cloud.billableJobs();
      const since = Date.now() - 1000;
      cloud.faults.dropSubmitResponses = 1;
      cloud.faults.nextJobOutcomes = ['PROCESS_FAILED'];
      await assert.rejects(viapi.submit('http://127.0.0.1:1/dropped.mp4', 7), (e: ViapiCallError) => e.outcome === 'unknown');
      assert.equal(cloud.billableJobs(), before + 1);
      const list = await viapi.listJobs(since, cloud.clock.now() + 1000, 1, 50);
      assert.ok(list.jobs.some((j) => j.videoUrl === 'http://127.0.0.1:1/dropped.mp4'));
    });

    it('cuts result downloads mid-stream and hands out result URLs that expire early', async () => {
      const oss = ossFor(cloud);
      await oss.put(cloud.bucket, 'in/cut.mp4', source);
      const viapi = viapiFor(cloud);
      const { jobId } = await viapi.submit(oss.signGetUrl(cloud.bucket, 'in/cut.mp4', 3600), 2);
      assert.equal((await waitForEnd(viapi, jobId)).status, 'PROCESS_SUCCESS');
      cloud.faults.cutDownloads = 1;
      cloud.faults.cutDownloadAfterBytes = 1000;
      const cut = await fetch((await viapi.getResult(jobId)).resultUrl as string);
      await assert.rejects(cut.arrayBuffer(), 'the body is severed');
      assert.equal(cloud.faults.cutDownloads, 0);
      cloud.faults.expiredResultUrls = 1;
      const early = await viapi.getResult(jobId);
      assert.equal((await fetch(early.resultUrl as string)).status, 403);
      cloud.faults.resultUrlTtlSeconds = 1;
      const short = await viapi.getResult(jobId);
      await new Promise((r) => setTimeout(r, 2100));
      assert.equal((await fetch(short.resultUrl as string)).status, 403);
      cloud.faults.resultUrlTtlSeconds = 1800;
      assert.equal((await fetch((await viapi.getResult(jobId)).resultUrl as string)).status, 200, 'a fresh poll signs a fresh URL');
    });
  });

  it('lists with v1 list() (Owner element present) through unmodified ali-oss', async () => {
    const client = new OSS({
      bucket: cloud.bucket,
      endpoint: cloud.ossEndpoint,
      accessKeyId: cloud.accessKeyId,
      accessKeySecret: cloud.accessKeySecret,
      sldEnable: true,
    } as OSS.Options);
    await ossFor(cloud).put(cloud.bucket, 'v1/a.mp4', source);
    const r = await client.list({ prefix: 'v1/', 'max-keys': 10 }, {});
    assert.deepEqual(
      r.objects.map((o) => o.name),
      ['v1/a.mp4'],
    );
    assert.equal(r.objects[0].owner?.id, 'vsr-local');
  });

  it('takes faults, clock moves and billing questions over its admin endpoint', async () => {
    await withCloud('admin', async (own) => {
      const admin = `${own.viapiEndpoint}/__admin`;
      const set = await fetch(`${admin}/faults`, {
        method: 'POST',
        body: JSON.stringify({ jobDelayMs: 5, nextJobOutcomes: ['TIMEOUT_FAILED'] }),
      });
      assert.equal(set.status, 200);
      assert.equal(own.faults.jobDelayMs, 5);
      assert.deepEqual(own.faults.nextJobOutcomes, ['TIMEOUT_FAILED']);
      const before = own.clock.now();
      await fetch(`${admin}/clock`, { method: 'POST', body: JSON.stringify({ advanceMs: 3_600_000 }) });
      assert.ok(own.clock.now() - before >= 3_600_000);
      await viapiFor(own).submit('http://127.0.0.1:1/v.mp4', 5);
      assert.equal(((await (await fetch(`${admin}/billing`)).json()) as { billableJobs: number }).billableJobs, 1);
    });
  });

  it('rate limits submits per account with Throttling.User', async () => {
    await withCloud(
      'limited',
      async (limited) => {
        const viapi = viapiFor(limited);
        const results = await Promise.allSettled([1, 2, 3].map(() => viapi.submit('http://127.0.0.1:1/v.mp4', 5)));
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2);
        const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        assert.equal((rejected.reason as ViapiCallError).code, 'Throttling.User');
        assert.equal(limited.billableJobs(), 2);
      },
      { submitsPerSecond: 2, faults: { nextJobOutcomes: ['PROCESS_FAILED', 'PROCESS_FAILED'] } },
    );
  });

  it('keeps jobs and objects across a restart', async () => {
    const dataDir = path.join(dir, 'restart');
    const first = await startLocalCloud({ dataDir, faults: { nextJobOutcomes: ['PROCESS_FAILED'] } });
    const { jobId } = await viapiFor(first).submit('http://127.0.0.1:1/v.mp4', 5);
    await ossFor(first).put(first.bucket, 'kept.mp4', source);
    await first.idle();
    await first.close();
    const second = await startLocalCloud({ dataDir });
    try {
      assert.equal((await viapiFor(second).getResult(jobId)).status, 'PROCESS_FAILED');
      assert.equal(second.billableJobs(), 1);
      assert.ok(await ossFor(second).head(second.bucket, 'kept.mp4'));
    } finally {
      await second.close();
    }
  });
});
