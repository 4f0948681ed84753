// The local Alibaba stand-in, driven by the real @alicloud/openapi-core and ali-oss clients (the other
// official clients are in officialClients.test.ts). Time moves by the stand-in's clock, never by sleeping.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import OpenApi, { $OpenApiUtil } from '@alicloud/openapi-core';
import * as $dara from '@darabonba/typescript';
import OSS from 'ali-oss';
import { probe } from '../../activities/media';
import { ViapiCallError, type ViapiClient } from '../../activities/provider/viapi';
import { makeSampleVideo } from '../../app/embedded/sample';
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from '../../localcloud/server';
import { ossFor, viapiFor } from '../harness/localcloudClients';
import { rpcParams } from '../harness/rpc';

const run = promisify(execFile);

/** An RPC call through openapi-core, as the generated SDKs make it; resolves with the body and headers or the error. */
async function rpc(
  cloud: LocalCloud,
  version: string,
  action: string,
  body: Record<string, string | number> = {},
  config: Partial<{ signatureAlgorithm: string; accessKeySecret: string; accessKeyId: string }> = {},
): Promise<{ body: Record<string, unknown>; headers: Record<string, string> }> {
  const client = new OpenApi(
    new $OpenApiUtil.Config({
      endpoint: cloud.viapiEndpoint.replace('http://', ''),
      protocol: 'http',
      accessKeyId: cloud.accessKeyId,
      accessKeySecret: cloud.accessKeySecret,
      ...config,
    }),
  );
  const params = rpcParams(action, version);
  const res = await client.callApi(params, new $OpenApiUtil.OpenApiRequest({ body }), new $dara.RuntimeOptions({}));
  return { body: res.body as Record<string, unknown>, headers: res.headers as Record<string, string> };
}

const code = (e: unknown) => (e as { code?: string }).code;

async function ended(cloud: LocalCloud, viapi: ViapiClient, jobId: string) {
  await cloud.idle();
  return viapi.getResult(jobId);
}

describe('local Alibaba stand-in', () => {
  let dir: string;
  let cloud: LocalCloud;
  let source: string;

  before(async () => {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'vsr-localcloud-'));
    cloud = await startLocalCloud({ dataDir: path.join(dir, 'cloud'), engine: 'lanczos', submitsPerSecond: 0 });
    source = await makeSampleVideo(path.join(dir, 'in.mp4'), { width: 640, height: 360, seconds: 2 });
  });
  async function withCloud(name: string, fn: (c: LocalCloud) => Promise<void>, opts: Partial<LocalCloudOptions> = {}): Promise<void> {
    const own = await startLocalCloud({ dataDir: path.join(dir, name), engine: 'fast', submitsPerSecond: 0, ...opts });
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
    const done = await ended(cloud, viapi, jobId);
    assert.equal(done.status, 'PROCESS_SUCCESS', done.errorMessage);
    const out = path.join(dir, 'out.mp4');
    const res = await fetch(done.resultUrl as string);
    assert.equal(res.status, 200);
    await fs.promises.writeFile(out, Buffer.from(await res.arrayBuffer()));
    const facts = await probe(out);
    const input = await probe(source);
    assert.match(facts.formatName, /mp4/);
    assert.equal(facts.videoCodec, 'h264');
    assert.deepEqual([facts.width, facts.height], [1280, 720]);
    assert.ok(facts.hasAudio, 'audio kept');
    assert.ok(
      Math.abs(facts.durationSeconds - input.durationSeconds) < 0.15,
      `duration ${facts.durationSeconds} vs ${input.durationSeconds}`,
    );
    const ratio = facts.bitRate / 4_000_000;
    assert.ok(ratio > 0.9 && ratio < 1.1, `bitrate ${facts.bitRate} not within 10% of 4 Mbps`);
  });

  describe('the VIAPI gateway', () => {
    it('dispatches on (version, action): viapi 2023-01-17 lists jobs, videoenhan 2020-03-20 has no job list', async () => {
      const listed = await rpc(cloud, '2023-01-17', 'QueryAsyncJobList');
      assert.equal(typeof (listed.body.Data as { TotalRecord: number }).TotalRecord, 'number');
      assert.equal(listed.headers['x-acs-request-id'], listed.body.RequestId, 'x-acs-request-id header');
      await assert.rejects(rpc(cloud, '2020-03-20', 'QueryAsyncJobList'), (e) => code(e) === 'InvalidAction.NotFound');
      await assert.rejects(
        rpc(cloud, '2023-01-17', 'SuperResolveVideo', { VideoUrl: 'http://x/v.mp4' }),
        (e) => code(e) === 'InvalidAction.NotFound',
      );
      await assert.rejects(rpc(cloud, '2019-01-01', 'GetAsyncJobResult', { JobId: 'x' }), (e) => code(e) === 'InvalidAction.NotFound');
    });

    it('verifies ACS3-HMAC-SHA256, ACS3-HMAC-SM3 and the legacy v2 signature; refuses a wrong secret and an unknown key', async () => {
      for (const signatureAlgorithm of ['ACS3-HMAC-SHA256', 'ACS3-HMAC-SM3', 'v2']) {
        await assert.rejects(
          rpc(cloud, '2023-01-17', 'GetAsyncJobResult', { JobId: 'none' }, { signatureAlgorithm }),
          (e) => code(e) === 'InvalidJobId.NotFound',
          `${signatureAlgorithm} passes the signature check and reaches the action`,
        );
        await assert.rejects(
          rpc(cloud, '2023-01-17', 'GetAsyncJobResult', { JobId: 'none' }, { signatureAlgorithm, accessKeySecret: 'wrong' }),
          (e) => code(e) === 'SignatureDoesNotMatch',
          `${signatureAlgorithm} with a wrong secret`,
        );
      }
      await assert.rejects(
        viapiFor(cloud, 's', 'LTAInobody').getResult('x'),
        (e: ViapiCallError) => e.code === 'InvalidAccessKeyId.NotFound',
      );
      await assert.rejects(ossFor(cloud, 'wrong').put(cloud.bucket, 'k', source), (e) => code(e) === 'SignatureDoesNotMatch');
    });

    it('refuses a replayed request (its signature nonce was used) byte for byte', async () => {
      // A loopback relay records what openapi-core sends; the recording is then sent again as is.
      const viapiPort = Number(new URL(cloud.viapiEndpoint).port);
      const sent: Buffer[] = [];
      const relay = net.createServer((client) => {
        const upstream = net.connect(viapiPort, '127.0.0.1');
        client.on('data', (d: Buffer) => sent.push(d));
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
      const relayed = { ...cloud, viapiEndpoint: `http://127.0.0.1:${(relay.address() as AddressInfo).port}` };
      try {
        await rpc(relayed, '2023-01-17', 'QueryAsyncJobList').catch((e: unknown) => assert.equal(code(e), 'Throttling.User'));
      } finally {
        relay.close();
      }
      const replayed = await new Promise<string>((resolve, reject) => {
        const sock = net.connect(viapiPort, '127.0.0.1', () => sock.end(Buffer.concat(sent)));
        let answer = '';
        sock.on('data', (d: Buffer) => (answer += d.toString()));
        sock.on('end', () => resolve(answer));
        sock.on('error', reject);
      });
      assert.match(replayed, /^HTTP\/1\.1 400/);
      assert.match(replayed, /"Code":"SignatureNonceUsed"/);
    });

    it('refuses requests dated more than 15 minutes off (VIAPI: InvalidTimeStamp.Expired, OSS: RequestTimeTooSkewed)', async () => {
      const skewed = async (shiftMs: number) => {
        const child = spawn(process.execPath, [path.join(__dirname, '..', 'clients', 'skewedClient.js')], {
          env: {
            ...process.env,
            VSR_CLOCK_SHIFT_MS: String(shiftMs),
            VSR_VIAPI_HOST: cloud.viapiEndpoint.replace('http://', ''),
            VSR_OSS_ENDPOINT: cloud.ossEndpoint,
            VSR_AK: cloud.accessKeyId,
            VSR_SK: cloud.accessKeySecret,
            VSR_BUCKET: cloud.bucket,
          },
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        await new Promise((r) => child.on('close', r));
        return JSON.parse(out) as { viapi: string; oss: string };
      };
      assert.deepEqual(await skewed(-16 * 60_000), { viapi: 'InvalidTimeStamp.Expired', oss: 'RequestTimeTooSkewed' });
      assert.deepEqual(await skewed(16 * 60_000), { viapi: 'InvalidTimeStamp.Expired', oss: 'RequestTimeTooSkewed' });
      assert.deepEqual(await skewed(-10 * 60_000), { viapi: 'InvalidJobId.NotFound', oss: 'stored' }, '10 minutes off is within bounds');
    });
  });

  describe('viapi 2023-01-17 job list and cancel', () => {
    it('lists jobs in Beijing time with paging, at most one call per 5 seconds, over at most 24 hours, never with their input', async () => {
      await withCloud(
        'list',
        async (own) => {
          const viapi = viapiFor(own);
          const url = 'http://127.0.0.1:1/secret-input.mp4';
          const jobs = [];
          for (let i = 0; i < 3; i++) jobs.push((await viapi.submit(url, 5)).jobId);
          own.clock.advance(25 * 3600_000); // a day later, one more job
          const late = (await viapi.submit(url, 5)).jobId;
          await own.idle();
          const beijing = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
          const list = async (body: Record<string, string>) => (await rpc(own, '2023-01-17', 'QueryAsyncJobList', body)).body;

          const recent = await list({});
          const data = recent.Data as { TotalRecord: number; Result: Array<Record<string, string>> };
          assert.deepEqual(
            data.Result.map((r) => r.JobId),
            [late],
            'without times: the last 24 hours',
          );
          const entry = data.Result[0];
          assert.deepEqual(Object.keys(entry).sort(), [
            'CallerParentId',
            'EndTime',
            'GmtCreate',
            'JobId',
            'PopApiName',
            'PopProduct',
            'StartTime',
            'Status',
          ]);
          assert.equal(entry.GmtCreate, beijing(own.jobs.get(late)?.createdAt as number));
          assert.doesNotMatch(JSON.stringify(recent), /secret-input/);

          await assert.rejects(list({}), (e) => code(e) === 'Throttling.User', 'a second call within 5 s');
          own.clock.advance(5000);
          const start = own.clock.now() - 26 * 3600_000;
          const page = await list({ StartTime: beijing(start), EndTime: beijing(start + 23 * 3600_000), PageNum: '2', PageSize: '2' });
          assert.deepEqual(page.Data, {
            CurrentPage: 2,
            PageSize: 2,
            TotalPage: 2,
            TotalRecord: 3,
            Result: [(page.Data as { Result: unknown[] }).Result[0]],
          });
          assert.equal((page.Data as { Result: Array<{ JobId: string }> }).Result[0].JobId, jobs[0], 'newest first');
          own.clock.advance(5000);
          await assert.rejects(
            list({ StartTime: beijing(start), EndTime: beijing(start + 24 * 3600_000 + 1000) }),
            (e) => code(e) === 'InvalidParameter',
          );
          own.clock.advance(5000);
          await assert.rejects(list({ StartTime: new Date(start).toISOString() }), (e) => code(e) === 'InvalidParameter');
        },
        { faults: { nextJobOutcomes: ['PROCESS_FAILED', 'PROCESS_FAILED', 'PROCESS_FAILED', 'PROCESS_FAILED'] } },
      );
    });

    it('cancels a QUEUING job (JOB_CANCELED, not billed) and refuses to cancel one already PROCESSING', async () => {
      await withCloud(
        'cancel',
        async (own) => {
          const viapi = viapiFor(own);
          const busy = (await viapi.submit('http://127.0.0.1:1/a.mp4', 5)).jobId; // PROCESSING for 10 minutes
          own.faults.queueDelayMs = 3600_000;
          const waiting = (await viapi.submit('http://127.0.0.1:1/b.mp4', 5)).jobId;
          assert.equal((await viapi.getResult(busy)).status, 'PROCESSING');
          assert.equal((await viapi.getResult(waiting)).status, 'QUEUING');
          assert.equal(own.billableJobs(), 2);

          const cancelled = await rpc(own, '2023-01-17', 'CancelWaitingAsyncJob', { JobId: waiting });
          assert.equal(cancelled.body.Success, true);
          assert.equal((await viapi.getResult(waiting)).status, 'JOB_CANCELED');
          assert.equal(own.billableJobs(), 1, 'a job cancelled while waiting is not billed');
          await assert.rejects(rpc(own, '2023-01-17', 'CancelWaitingAsyncJob', { JobId: busy }), (e) => code(e) === 'InvalidJobStatus');
          await assert.rejects(rpc(own, '2023-01-17', 'CancelWaitingAsyncJob', { JobId: waiting }), (e) => code(e) === 'InvalidJobStatus');
          await assert.rejects(rpc(own, '2023-01-17', 'CancelWaitingAsyncJob', {}), (e) => code(e) === 'MissingJobId');

          own.clock.advance(3600_000); // the busy job's delay and any queue delay pass
          assert.equal((await ended(own, viapi, busy)).status, 'PROCESS_FAILED');
          assert.equal((await viapi.getResult(waiting)).status, 'JOB_CANCELED', 'a cancelled job never starts');
          const listed = await rpc(own, '2023-01-17', 'QueryAsyncJobList', { Status: 'JOB_CANCELED' });
          assert.deepEqual(
            (listed.body.Data as { Result: Array<{ JobId: string }> }).Result.map((r) => r.JobId),
            [waiting],
          );
        },
        { maxParallelJobs: 1, faults: { jobDelayMs: 600_000, nextJobOutcomes: ['PROCESS_FAILED'] } },
      );
    });
  });

  describe("the provider's input rules, read from its own document", () => {
    it('checks VideoUrl and BitRate at submit: Chinese characters and BitRate outside 1..100 are refused', async () => {
      const viapi = viapiFor(cloud);
      for (const bitRate of ['0', '101', '7.5', 'ten', '-1']) {
        await assert.rejects(
          rpc(cloud, '2020-03-20', 'SuperResolveVideo', { VideoUrl: 'http://127.0.0.1:1/v.mp4', BitRate: bitRate }),
          (e) => code(e) === 'InvalidParameter' && /BitRate/.test((e as Error).message),
          `BitRate ${bitRate}`,
        );
      }
      await assert.rejects(viapi.submit('http://127.0.0.1:1/视频.mp4', 5), (e: ViapiCallError) => e.code === 'InvalidParameter');
      await assert.rejects(rpc(cloud, '2020-03-20', 'SuperResolveVideo', { BitRate: 5 }), (e) => code(e) === 'MissingVideoUrl');
      cloud.faults.nextJobOutcomes = ['PROCESS_FAILED'];
      const accented = await viapi.submit('http://127.0.0.1:1/café.mp4', 5);
      assert.ok(accented.jobId, 'other non-ASCII characters are not what the document forbids');
      const submitted = await rpc(cloud, '2020-03-20', 'SuperResolveVideo', { VideoUrl: 'http://127.0.0.1:1/v.mp4' });
      assert.equal(cloud.jobs.get(submitted.body.RequestId as string)?.bitRate, 10, 'BitRate defaults to 10');
      assert.match(String(submitted.body.Message), /^该调用为异步调用,任务已提交成功/);
      await cloud.idle();
    });

    it('refuses inputs outside the limits as PROCESS_FAILED: resolution, a WebM or an audio file behind an .mp4 name', async () => {
      const oss = ossFor(cloud);
      const viapi = viapiFor(cloud);
      const tiny = await makeSampleVideo(path.join(dir, 'tiny.mp4'), { width: 320, height: 240, seconds: 1 });
      const wide = await makeSampleVideo(path.join(dir, 'wide.mp4'), { width: 1922, height: 360, seconds: 1 });
      const webm = path.join(dir, 'webm.mp4');
      await run('ffmpeg', [
        '-v',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=640x360:duration=1',
        '-c:v',
        'libvpx',
        '-f',
        'webm',
        webm,
      ]);
      const audio = path.join(dir, 'audio.mp4');
      await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'aac', '-f', 'mp4', audio]);
      const expected: Array<[string, string]> = [
        [tiny, 'InvalidFile.Resolution'],
        [wide, 'InvalidFile.Resolution'],
        [webm, 'InvalidFile.Format'],
        [audio, 'InvalidFile.Content'],
      ];
      const outcomes = [];
      for (const [file] of expected) {
        const key = `rules/${path.basename(file)}`;
        await oss.put(cloud.bucket, key, file);
        const { jobId } = await viapi.submit(oss.signGetUrl(cloud.bucket, key, 600), 5);
        const r = await ended(cloud, viapi, jobId);
        outcomes.push([file, r.errorCode]);
        assert.equal(r.status, 'PROCESS_FAILED', file);
      }
      assert.deepEqual(outcomes, expected);
    });
  });

  describe('the VideoUrl downloader', () => {
    it('fetches only what the real provider could reach: its own OSS and allow-listed loopback sources, each redirect checked', async () => {
      const hits: string[] = [];
      let self = '';
      let viapiPort = 0;
      const server = http.createServer((req, res) => {
        hits.push(req.url ?? '');
        const redirect = (to: string) => res.writeHead(302, { location: to }).end();
        if (req.url === '/video') return void fs.createReadStream(source).pipe(res.writeHead(200, { 'content-type': 'video/mp4' }));
        if (req.url === '/to-admin') return redirect(`http://localhost:${viapiPort}/__admin/billing`);
        if (req.url === '/to-other-port') return redirect(`http://127.0.0.1:1/video`);
        if (req.url === '/loop') return redirect(`${self}/loop`);
        if (req.url === '/huge') return void res.writeHead(200, { 'content-length': String(2 * 1024 ** 3) }).end();
        res.writeHead(404).end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as AddressInfo).port;
      self = `http://127.0.0.1:${port}`;
      try {
        await withCloud(
          'fetch',
          async (own) => {
            viapiPort = Number(new URL(own.viapiEndpoint).port);
            const viapi = viapiFor(own);
            const outcome = async (url: string) => {
              const r = await ended(own, viapi, (await viapi.submit(url, 5)).jobId);
              return r.status === 'PROCESS_SUCCESS' ? 'fetched' : `${r.errorCode}: ${r.errorMessage}`;
            };
            assert.equal(await outcome(`${self}/video`), 'fetched', 'an allow-listed loopback source');
            await ossFor(own).put(own.bucket, 'in/own.mp4', source);
            assert.equal(await outcome(ossFor(own).signGetUrl(own.bucket, 'in/own.mp4', 600)), 'fetched', 'its own OSS');
            assert.match(await outcome(`http://localhost:${viapiPort}/__admin/billing`), /^InvalidImage\.Download: .*loopback/);
            assert.match(await outcome(`http://127.0.0.1:1/video`), /^InvalidImage\.Download: .*127\.0\.0\.1:1 .*loopback/);
            assert.match(
              await outcome(`http://sneaky.test:${port}/video`),
              /^InvalidImage\.Download: .*resolves to 127\.0\.0\.2/,
              'checked after DNS',
            );
            assert.match(await outcome(`${self}/to-admin`), /^InvalidImage\.Download: .*loopback/, 'checked again on a redirect');
            assert.match(await outcome(`${self}/to-other-port`), /^InvalidImage\.Download: .*127\.0\.0\.1:1 /);
            assert.match(await outcome(`${self}/loop`), /^InvalidImage\.Download: .*more than 5 redirects/);
            assert.match(await outcome(`${self}/huge`), /^InvalidFile\.Size: /);
            assert.equal(hits.filter((h) => h === '/loop').length, 6, 'the first request and 5 redirects, no more');
          },
          {
            allowLoopbackSources: [`127.0.0.1:${port}`],
            // A name that resolves to a loopback address nobody allowed: refused after resolution, before connecting.
            lookup: async (host) => (host === 'sneaky.test' ? [{ address: '127.0.0.2', family: 4 }] : []),
          },
        );
      } finally {
        server.close();
      }
    });
  });

  describe('the admin endpoint', () => {
    it('needs the token printed at start and a JSON body, so a browser form cannot post faults', async () => {
      await withCloud('admin', async (own) => {
        const admin = own.adminEndpoint;
        const auth = { authorization: `Bearer ${own.adminToken}` };
        const json = { ...auth, 'content-type': 'application/json' };
        assert.equal((await fetch(`${admin}/faults`)).status, 401, 'no token');
        assert.equal((await fetch(`${admin}/faults`, { headers: { authorization: 'Bearer guess' } })).status, 401, 'wrong token');
        const form = await fetch(`${admin}/faults`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
          body: '{"jobDelayMs":5}',
        });
        assert.equal(form.status, 415, 'form-encoded bodies are refused');
        assert.equal(own.faults.jobDelayMs, 0);
        const set = await fetch(`${admin}/faults`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ jobDelayMs: 5, nextJobOutcomes: ['TIMEOUT_FAILED'] }),
        });
        assert.equal(set.status, 200);
        assert.equal(own.faults.jobDelayMs, 5);
        assert.deepEqual(own.faults.nextJobOutcomes, ['TIMEOUT_FAILED']);
        const before = own.clock.now();
        await fetch(`${admin}/clock`, { method: 'POST', headers: json, body: JSON.stringify({ advanceMs: 3_600_000 }) });
        assert.ok(own.clock.now() - before >= 3_600_000);
        await viapiFor(own).submit('http://127.0.0.1:1/v.mp4', 5);
        assert.equal(((await (await fetch(`${admin}/billing`, { headers: auth })).json()) as { billableJobs: number }).billableJobs, 1);
      });
    });
  });

  describe('OSS through ali-oss', () => {
    it('completes multipart uploads with the real multipart ETag and CRC-64, lists with Owner, aborts', async () => {
      const oss = ossFor(cloud);
      const big = path.join(dir, 'big.bin');
      const bytes = Buffer.alloc(300 * 1024);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) % 251;
      await fs.promises.writeFile(big, bytes);
      const uploadId = await oss.initMultipart(cloud.bucket, 'mp/big.bin');
      const etags = [];
      for (const [i, [s, e]] of [
        [0, 150 * 1024],
        [150 * 1024, 300 * 1024],
      ].entries()) {
        etags.push({ number: i + 1, etag: await oss.uploadPart(cloud.bucket, 'mp/big.bin', uploadId, i + 1, big, s, e) });
      }
      const other = await oss.initMultipart(cloud.bucket, 'elsewhere/x.bin');
      assert.deepEqual(
        (await oss.listUploads(cloud.bucket, 'mp/')).map((u) => u.key),
        ['mp/big.bin'],
        'ListMultipartUploads honours the prefix',
      );
      await oss.completeMultipart(cloud.bucket, 'mp/big.bin', uploadId, etags);
      await oss.abortMultipart(cloud.bucket, 'elsewhere/x.bin', other);
      const md5 = (b: Buffer) => createHash('md5').update(b).digest();
      const want = `"${md5(Buffer.concat([md5(bytes.subarray(0, 150 * 1024)), md5(bytes.subarray(150 * 1024))]))
        .toString('hex')
        .toUpperCase()}-2"`;
      const res = await fetch(oss.signGetUrl(cloud.bucket, 'mp/big.bin', 60));
      assert.equal(res.headers.get('etag'), want);
      assert.match(res.headers.get('x-oss-hash-crc64ecma') ?? '', /^\d+$/);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
      const listed = await oss.list(cloud.bucket, 'mp/');
      assert.deepEqual(
        listed.map((o) => [o.key, o.size]),
        [['mp/big.bin', 300 * 1024]],
      );
      await assert.rejects(oss.uploadPart(cloud.bucket, 'elsewhere/x.bin', other, 1, big, 0, 1024), (e) => code(e) === 'NoSuchUpload');
      await oss.delete(cloud.bucket, 'mp/big.bin');
      assert.equal(await oss.head(cloud.bucket, 'mp/big.bin'), undefined);
    });

    it('lists with v1 list() (Owner element, second-precision times) and signs V4 through unmodified ali-oss', async () => {
      const options = {
        bucket: cloud.bucket,
        endpoint: cloud.ossEndpoint,
        accessKeyId: cloud.accessKeyId,
        accessKeySecret: cloud.accessKeySecret,
        sldEnable: true,
      };
      const v1 = new OSS(options);
      const v4 = new OSS({ ...options, region: 'oss-cn-shanghai', authorizationV4: true });
      await v4.put('v1/a.mp4', source, { headers: { 'Content-Disposition': 'inline', 'x-oss-meta-owner': 'vsr' } });
      const got = await v4.get('v1/a.mp4');
      assert.deepEqual(got.content, await fs.promises.readFile(source));
      assert.equal((got.res.headers as Record<string, string>)['content-disposition'], 'inline');
      assert.equal((got.res.headers as Record<string, string>)['x-oss-meta-owner'], 'vsr');
      const r = await v1.list({ prefix: 'v1/', 'max-keys': 10 }, {});
      assert.deepEqual(
        r.objects.map((o) => o.name),
        ['v1/a.mp4'],
      );
      assert.equal(r.objects[0].owner?.displayName, 'vsr-local');
      assert.match(r.objects[0].lastModified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
      await assert.rejects(v1.get('v1/a.mp4', { process: 'video/snapshot,t_0' }), (e) => code(e) === 'NotImplemented');
      assert.equal((await v1.getACL('v1/a.mp4')).acl, 'default', '?acl is answered, not served as the object');
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

    it('serves byte ranges so downloads can resume', async () => {
      const oss = ossFor(cloud);
      await oss.put(cloud.bucket, 'in/range.mp4', source);
      const size = (await fs.promises.stat(source)).size;
      const res = await fetch(oss.signGetUrl(cloud.bucket, 'in/range.mp4', 60), { headers: { range: 'bytes=100-' } });
      assert.equal(res.status, 206);
      assert.equal(res.headers.get('content-range'), `bytes 100-${size - 1}/${size}`);
      assert.equal((await res.arrayBuffer()).byteLength, size - 100);
    });
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
      for (let i = 0; i < 3; i++) ends.push((await ended(cloud, viapi, (await viapi.submit('http://127.0.0.1:1/v.mp4', 5)).jobId)).status);
      assert.deepEqual(ends, ['PROCESS_FAILED', 'TIMEOUT_FAILED', 'LIMIT_RETRY_FAILED']);
    });

    it('keeps slow jobs PROCESSING for the injected delay, on its clock', async () => {
      await withCloud(
        'slow',
        async (own) => {
          const viapi = viapiFor(own);
          const { jobId } = await viapi.submit('http://127.0.0.1:1/v.mp4', 5);
          assert.equal((await viapi.getResult(jobId)).status, 'PROCESSING');
          own.clock.advance(59_000);
          assert.equal((await viapi.getResult(jobId)).status, 'PROCESSING', 'not before its time');
          own.clock.advance(1_000);
          assert.equal((await ended(own, viapi, jobId)).status, 'PROCESS_FAILED');
        },
        { faults: { jobDelayMs: 60_000, nextJobOutcomes: ['PROCESS_FAILED'] } },
      );
    });

    it('accepts and bills a submit whose response never arrives; the job list shows a job created meanwhile', async () => {
      const viapi = viapiFor(cloud);
      const before = cloud.billableJobs();
      cloud.faults.dropSubmitResponses = 1;
      cloud.faults.nextJobOutcomes = ['PROCESS_FAILED'];
      await assert.rejects(viapi.submit('http://127.0.0.1:1/dropped.mp4', 7), (e: ViapiCallError) => e.outcome === 'unknown');
      assert.equal(cloud.billableJobs(), before + 1);
      cloud.clock.advance(5000); // past the list's 5-second limit
      const listed = (await rpc(cloud, '2023-01-17', 'QueryAsyncJobList', { PopApiName: 'SuperResolveVideo' })).body.Data as {
        Result: Array<{ JobId: string }>;
      };
      const newest = [...cloud.jobs.all()].sort((a, b) => b.createdAt - a.createdAt)[0];
      assert.equal(listed.Result[0].JobId, newest.jobId);
      await cloud.idle();
    });

    it('cuts result downloads mid-stream and hands out result URLs that expire early', async () => {
      const oss = ossFor(cloud);
      await oss.put(cloud.bucket, 'in/cut.mp4', source);
      const viapi = viapiFor(cloud);
      const { jobId } = await viapi.submit(oss.signGetUrl(cloud.bucket, 'in/cut.mp4', 3600), 2);
      assert.equal((await ended(cloud, viapi, jobId)).status, 'PROCESS_SUCCESS');
      cloud.faults.cutDownloads = 1;
      cloud.faults.cutDownloadAfterBytes = 1000;
      const cut = await fetch((await viapi.getResult(jobId)).resultUrl as string);
      await assert.rejects(cut.arrayBuffer(), 'the body is severed');
      assert.equal(cloud.faults.cutDownloads, 0);
      cloud.faults.expiredResultUrls = 1;
      const early = await viapi.getResult(jobId);
      assert.equal((await fetch(early.resultUrl as string)).status, 403);
      cloud.faults.resultUrlTtlSeconds = 60;
      const short = await viapi.getResult(jobId);
      assert.equal((await fetch(short.resultUrl as string)).status, 200);
      cloud.clock.advance(61_000);
      assert.equal((await fetch(short.resultUrl as string)).status, 403);
      cloud.faults.resultUrlTtlSeconds = 1800;
      assert.equal((await fetch((await viapi.getResult(jobId)).resultUrl as string)).status, 200, 'a fresh poll signs a fresh URL');
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
  });

  it('keeps jobs and objects across a restart, re-runs unfinished jobs and leaves no work folder behind', async () => {
    const dataDir = path.join(dir, 'restart');
    const first = await startLocalCloud({ dataDir, engine: 'fast', faults: { nextJobOutcomes: ['PROCESS_FAILED'] } });
    const { jobId } = await viapiFor(first).submit('http://127.0.0.1:1/v.mp4', 5);
    await ossFor(first).put(first.bucket, 'kept.mp4', source);
    await first.idle();
    first.faults.jobDelayMs = 3600_000;
    first.faults.nextJobOutcomes = ['TIMEOUT_FAILED'];
    const unfinished = (await viapiFor(first).submit('http://127.0.0.1:1/w.mp4', 5)).jobId;
    assert.equal((await viapiFor(first).getResult(unfinished)).status, 'PROCESSING');
    await first.close();
    assert.ok(!fs.existsSync(path.join(dataDir, 'work')), 'closing removes the work folder');
    // What a killed process leaves behind: a job's folder in the work folder.
    await fs.promises.mkdir(path.join(dataDir, 'work', 'killed-job-x'), { recursive: true });
    const second = await startLocalCloud({ dataDir, engine: 'fast' });
    try {
      assert.ok(!fs.existsSync(path.join(dataDir, 'work', 'killed-job-x')), 'a restart clears what a killed run left');
      assert.equal((await viapiFor(second).getResult(jobId)).status, 'PROCESS_FAILED');
      assert.equal(second.billableJobs(), 2);
      assert.ok(await ossFor(second).head(second.bucket, 'kept.mp4'));
      await second.idle();
      assert.equal((await viapiFor(second).getResult(unfinished)).status, 'TIMEOUT_FAILED', 'the unfinished job ran again');
    } finally {
      await second.close();
    }
  });
});
