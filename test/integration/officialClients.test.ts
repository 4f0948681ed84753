// The stand-in driven by independent official Alibaba clients, unmodified: Python oss2 (V1 and V4),
// alibabacloud-oss-v2 (path and virtual-hosted style), the Go SDKs (v2 and classic), and the generated
// videoenhan 2020-03-20 / viapi 2023-01-17 SDKs. Each client program checks what it gets against what it
// computed itself (bytes, MD5s, multipart ETags, CRC-64s) and reports every check; `npm run setup`
// installs them (test/clients/setup.sh) into ~/.cache/vsr.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeSampleVideo } from '../../app/embedded/sample';
import { startLocalCloud, type LocalCloud } from '../../localcloud/server';
import { ossFor } from '../harness/localcloudClients';

const CACHE = path.join(os.homedir(), '.cache', 'vsr');
const PYTHON = path.join(CACHE, 'pyclients', 'bin', 'python');
const GO_CLIENTS = path.join(CACHE, 'oss-clients');
const CLIENTS = path.join(__dirname, '..', '..', '..', 'test', 'clients');

interface Report {
  client: string;
  version: unknown;
  checks: Array<{ name: string; ok: boolean; detail: string }>;
}

/** Runs one client program; resolves with its report (it exits 1 when a check failed, which the assertion shows). */
function runClient(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Report> {
  for (const file of [command, ...args.filter((a) => a.endsWith('.py'))])
    assert.ok(fs.existsSync(file), `${file} is missing: run \`npm run setup\` (test/clients/setup.sh installs the official clients)`);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as Report);
      } catch {
        reject(new Error(`${path.basename(command)} ${args.join(' ')} exited ${code} without a report:\n${out}\n${err}`));
      }
    });
  });
}

function assertAllPassed(report: Report, expectedChecks: number): void {
  console.log(`# ${report.client} ${JSON.stringify(report.version)}: ${report.checks.length} checks`);
  assert.deepEqual(
    report.checks.filter((c) => !c.ok),
    [],
    `${report.client} found what the stand-in gets wrong`,
  );
  // Guards against a flow that stopped early but reported nothing wrong.
  assert.equal(report.checks.length, expectedChecks, `${report.client} ran ${report.checks.map((c) => c.name).join(', ')}`);
}

describe('the stand-in, as independent official clients see it', () => {
  let dir: string;
  let cloud: LocalCloud;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'vsr-clients-'));
    cloud = await startLocalCloud({ dataDir: path.join(dir, 'cloud'), engine: 'fast', submitsPerSecond: 0 });
    env = {
      VSR_OSS_ENDPOINT: cloud.ossEndpoint,
      VSR_VIAPI_HOST: cloud.viapiEndpoint.replace('http://', ''),
      VSR_AK: cloud.accessKeyId,
      VSR_SK: cloud.accessKeySecret,
      VSR_BUCKET: cloud.bucket,
      VSR_WORK: dir,
      VSR_ADMIN: cloud.adminEndpoint,
      VSR_ADMIN_TOKEN: cloud.adminToken,
    };
  });

  after(async () => {
    await cloud.close();
    await fs.promises.rm(dir, { recursive: true, force: true });
  });

  const oss = (mode: string, checks: number) => async () =>
    assertAllPassed(await runClient(PYTHON, [path.join(CLIENTS, 'python', 'oss_flows.py'), mode], env), checks);
  it(
    'oss2 2.19.1 with V1 signatures: put/get/range/metadata, list v1/v2 with delimiter, multipart, resumable, copy, presign, sub-resources',
    oss('oss2-v1', 40),
  );
  it('oss2 2.19.1 with V4 signatures: the same flows', oss('oss2-v4', 40));
  it('alibabacloud-oss-v2 1.4.1, path style: uploader, downloader, copier, paginator, presign, append', oss('v2-path', 16));
  it('alibabacloud-oss-v2 1.4.1, virtual-hosted style (bucket.localhost)', oss('v2-virtual', 16));

  const go = (mode: string, checks: number) => async () => assertAllPassed(await runClient(GO_CLIENTS, [mode], env), checks);
  it(
    'alibabacloud-oss-go-sdk-v2: multipart with escaped ETags, resumable upload and download interrupted and resumed, copier, presign',
    go('v2-path', 20),
  );
  it('alibabacloud-oss-go-sdk-v2, virtual-hosted style', go('v2-virtual', 19));
  it('aliyun-oss-go-sdk (classic, V1): UploadFile/DownloadFile/CopyFile with checkpoints, SignURL, append', go('classic', 12));

  it('videoenhan 2020-03-20 and viapi 2023-01-17 SDKs: submit, poll, list, cancel while QUEUING, SM3 and v2 signatures', async () => {
    await ossFor(cloud).put(
      cloud.bucket,
      'clients/in.mp4',
      await makeSampleVideo(path.join(dir, 'in.mp4'), { width: 640, height: 360, seconds: 1 }),
    );
    const videoUrl = ossFor(cloud).signGetUrl(cloud.bucket, 'clients/in.mp4', 3600);
    assertAllPassed(await runClient(PYTHON, [path.join(CLIENTS, 'python', 'viapi_flows.py')], { ...env, VSR_VIDEO_URL: videoUrl }), 24);
    assert.equal(cloud.billableJobs(), 1, 'the job cancelled while QUEUING is not billed');
  });
});
