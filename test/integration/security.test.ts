// No secret and no signed URL in workflow inputs, histories, memos, search attributes, logs or error messages, and
// payloads encrypted at rest: real pipelines (success, provider failure, a URL source carrying a token, an oss://
// source the worker signs) through a worker process that holds Alibaba-style credentials, scanned afterwards.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { VsrClient, failureMessage, workflowIdFor } from '../../client';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, parsePayloadKey } from '../../client/payloadCodec';
import { startCodecServer, type CodecServer } from '../../app/codec/server';
import { makeSampleVideo } from '../../app/embedded/sample';
import { createObjectStorage } from '../../activities/provider/oss';
import { loadConfig } from '../../config';
import { buildProvider } from '../../workers/providers';
import type { SuperResolveInput } from '../../workflows/contract';
import { submitLaneId } from '../../workflows/ids';
import { startTestStack, until, type TestStack } from '../harness/stack';

const VSR = path.join(__dirname, '..', '..', '..', 'bin', 'vsr.js');
const TOKEN = `tok-${randomBytes(8).toString('hex')}`;
const ALIBABA = { id: `LTAI5t${randomBytes(8).toString('hex')}`, secret: `AlibabaSecret${randomBytes(12).toString('hex')}` };
/** What must never be stored or printed (besides the per-run values above and the stand-in's secret). */
const MARKERS = ['Signature=', 'OSSAccessKeyId', 'x-oss-signature', 'x-oss-credential', 'X-Amz-Signature', 'security-token', 'Expires='];

/** Every string in a value, with byte arrays (payload data) decoded as UTF-8, so a scan sees what a server stores. */
function text(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v instanceof Uint8Array
      ? Buffer.from(v).toString('utf8')
      : (v as { type?: string })?.type === 'Buffer'
        ? Buffer.from((v as { data: number[] }).data).toString('utf8')
        : v,
  );
}

describe('secrets and payload encryption', () => {
  let stack: TestStack;
  let worker: ChildProcess;
  let logs = '';
  let web: http.Server;
  let webPort = 0;
  let sample: string;
  let codec: AesGcmPayloadCodec;
  let sealed: VsrClient;
  let codecServer: CodecServer;
  const runs: string[] = [];
  const messages: string[] = [];
  let n = 0;

  before(async () => {
    stack = await startTestStack('security');
    sample = await makeSampleVideo(path.join(stack.dir, 'sample.mp4'), { width: 640, height: 360, seconds: 1 });
    web = http.createServer((req, res) => {
      if (!req.url?.startsWith('/v.mp4')) return void res.writeHead(404).end();
      const size = fs.statSync(sample).size;
      res.writeHead(200, { 'content-length': size });
      fs.createReadStream(sample).pipe(res);
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    webPort = (web.address() as AddressInfo).port;
    stack.cloud.allowLoopbackSources.push(`127.0.0.1:${webPort}`);
    const key = `test-1:${randomBytes(32).toString('base64')}`;
    codec = new AesGcmPayloadCodec(parsePayloadKey(key));
    sealed = new VsrClient(
      new Client({ connection: stack.env.connection, namespace: stack.env.namespace, dataConverter: { payloadCodecs: [codec] } }),
      stack.taskQueue,
    );
    worker = spawn(process.execPath, [path.join(__dirname, '..', '..', 'workers', 'main.js')], {
      env: {
        ...stack.workerEnv,
        VSR_PAYLOAD_KEY: key,
        VSR_ALLOW_PRIVATE_URLS: `127.0.0.1:${webPort}`,
        ALIBABA_CLOUD_ACCESS_KEY_ID: ALIBABA.id,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: ALIBABA.secret,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const s of [worker.stdout, worker.stderr]) s?.on('data', (d: Buffer) => (logs += d.toString()));
    codecServer = await startCodecServer({ codec, origins: ['http://ui.test'] });
  });
  after(async () => {
    worker?.kill('SIGKILL');
    web?.close();
    await codecServer?.close();
    await stack?.close();
  });

  async function pipeline(over: Partial<SuperResolveInput>): Promise<string> {
    n += 1;
    const input: SuperResolveInput = {
      source: { kind: 'local', path: sample },
      destination: { kind: 'local', path: path.join(stack.dir, `out-${n}.mp4`) },
      ...over,
    };
    const handle = await sealed.start(input);
    runs.push(handle.workflowId);
    await sealed.result(handle.workflowId).catch((err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError, String(err));
      messages.push(failureMessage(err));
    });
    messages.push(JSON.stringify(await sealed.status(handle.workflowId)));
    return handle.workflowId;
  }

  it('runs real pipelines: a success, a provider failure, a URL with a token, an oss:// source', async () => {
    await pipeline({});
    stack.cloud.faults.nextJobOutcomes = ['PROCESS_FAILED'];
    await pipeline({});
    await pipeline({ source: { kind: 'url', url: `http://127.0.0.1:${webPort}/v.mp4?token=${TOKEN}&v=2` } });
    const storage = createObjectStorage({ endpoint: stack.cloud.ossEndpoint, credential: stack.cloud, pathStyle: true });
    await storage.put(stack.cloud.bucket, 'in/sample.mp4', sample);
    await pipeline({ source: { kind: 'oss', bucket: stack.cloud.bucket, key: 'in/sample.mp4' } });
    assert.equal(messages.filter((m) => m.startsWith('ProviderJobFailed')).length, 1, messages.join('\n'));
    assert.equal(stack.cloud.billableJobs(), 4);
  });

  it('refuses a URL with a token when payloads are not encrypted, before anything is stored', async () => {
    const input: SuperResolveInput = {
      source: { kind: 'url', url: `http://127.0.0.1:${webPort}/v.mp4?token=${TOKEN}` },
      destination: { kind: 'local', path: path.join(stack.dir, 'plain.mp4') },
    };
    const err = await stack.vsr.start(input).then(
      () => undefined,
      (e: Error & { type?: string }) => e,
    );
    assert.equal(err?.type, 'InvalidSource');
    assert.match(
      err?.message ?? '',
      /carries the query parameter token, which would be stored in workflow history in plain text; set VSR_PAYLOAD_KEY/,
    );
    messages.push(err?.message ?? '');
    await assert.rejects(stack.vsr.client.workflow.getHandle(workflowIdFor(input)).describe(), /not found/i);
    // The command line says the same, without the token.
    const cli = spawnSync(process.execPath, [VSR, 'upscale', input.source.kind === 'url' ? input.source.url : '', '--no-wait'], {
      env: { ...stack.workerEnv, VSR_PAYLOAD_KEY: '' },
      encoding: 'utf8',
    });
    assert.equal(cli.status, 1, cli.stderr);
    assert.match(cli.stderr, /InvalidSource: source.url .* carries the query parameter token/);
    messages.push(cli.stdout + cli.stderr);
  });

  it('stores payloads only as ciphertext, and keeps secrets out of histories, memos, search attributes, messages and logs', async () => {
    const secrets = [TOKEN, ALIBABA.id, ALIBABA.secret, stack.cloud.accessKeySecret, ...MARKERS];
    const plain = stack.env.client; // no codec: the server's view
    // The account's submit lane holds every request (the source included) in its own history: scanned too.
    const lane = submitLaneId(await buildProvider(loadConfig(stack.workerEnv)).account());
    for (const id of [...runs, lane]) {
      const handle = plain.workflow.getHandle(id);
      const raw = await handle.fetchHistory();
      const stored = text(raw);
      for (const s of secrets) assert.ok(!stored.includes(s), `${id}: the stored history contains ${s}`);
      assert.ok(!stored.includes(sample), `${id}: the input is readable in the stored history`);
      // A pipeline's input, and the requests signalled to the lane (the lane starts with no input).
      const inputs = (raw.events ?? []).flatMap(
        (e) =>
          (id === lane ? e.workflowExecutionSignaledEventAttributes : e.workflowExecutionStartedEventAttributes)?.input?.payloads ?? [],
      );
      assert.ok(inputs.length > 0, `${id}: no input found`);
      for (const p of inputs) assert.equal(Buffer.from(p.metadata?.encoding ?? []).toString(), ENCRYPTED_ENCODING, id);
      // Memo (encrypted too) and search attributes as the server stores them.
      const described = text(
        await stack.env.connection.workflowService.describeWorkflowExecution({
          namespace: stack.env.namespace ?? 'default',
          execution: { workflowId: id },
        }),
      );
      for (const s of secrets) assert.ok(!described.includes(s), `${id}: memo or search attributes contain ${s}`);
      // What key holders see: the input is theirs (a URL token included); nothing vsr made may carry a secret.
      const decoded = text(await sealed.client.workflow.getHandle(id).fetchHistory());
      for (const s of [ALIBABA.id, ALIBABA.secret, stack.cloud.accessKeySecret, ...MARKERS])
        assert.ok(!decoded.includes(s), `${id}: the decoded history contains ${s}`);
    }
    await until('the worker to flush its logs', async () => logs.length > 0 || undefined, 10_000);
    for (const s of secrets) {
      assert.ok(!logs.includes(s), `worker logs contain ${s}`);
      for (const m of messages) assert.ok(!m.includes(s), `a message contains ${s}: ${m}`);
    }
  });

  it('decodes payloads through the codec server for the Web UI origin only', async () => {
    const raw = await stack.env.client.workflow.getHandle(runs[0]).fetchHistory();
    const payloads = (raw.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? []).map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      data: Buffer.from(p.data ?? []).toString('base64'),
    }));
    const post = (origin: string | undefined, body: unknown = { payloads }) =>
      fetch(`${codecServer.url}/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...(origin ? { origin } : {}) },
        body: JSON.stringify(body),
      });
    const res = await post('http://ui.test');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://ui.test');
    const decoded = (await res.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    assert.equal(Buffer.from(decoded.payloads[0].metadata.encoding, 'base64').toString(), 'json/plain');
    assert.equal((JSON.parse(Buffer.from(decoded.payloads[0].data, 'base64').toString()) as SuperResolveInput).source.kind, 'local');
    assert.ok(Buffer.from(decoded.payloads[0].data, 'base64').toString().includes(sample));
    assert.equal((await post('http://evil.test')).status, 403, 'another origin gets nothing');
    const preflight = await fetch(`${codecServer.url}/decode`, { method: 'OPTIONS', headers: { origin: 'http://ui.test' } });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /X-Namespace/);
    // Round trip: what /encode seals, /decode opens; a key the server does not hold is refused.
    const other = new AesGcmPayloadCodec(parsePayloadKey(randomBytes(32).toString('base64')));
    const [foreign] = await other.encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"x"') }]);
    const refused = await post(undefined, {
      payloads: [
        {
          metadata: {
            encoding: Buffer.from(foreign.metadata?.encoding ?? []).toString('base64'),
            'encryption-key-id': Buffer.from(foreign.metadata?.['encryption-key-id'] ?? []).toString('base64'),
          },
          data: Buffer.from(foreign.data ?? []).toString('base64'),
        },
      ],
    });
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /does not hold/);
  });
});
