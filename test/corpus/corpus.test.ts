// The bad-input corpus: every input a user can get wrong ends with a typed error at validation, before anything is
// uploaded or billed, and leaves nothing behind; inputs inside the limits are accepted. Each case is a real workflow
// run on one time-skipping server, validated by the real validateInput in a worker process without root's power
// over file modes (so unreadable and unwritable are real), against the local stand-in and a loopback web server.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { makeBatchActivities } from '../../activities/batch';
import type { ActivityDeps } from '../../activities/deps';
import { bitRateFlag, parseArgs, UsageError } from '../../app/cli/args';
import { parseTarget } from '../../app/cli/commands/upscale';
import { loadConfig } from '../../config';
import { startLocalCloud, type LocalCloud } from '../../localcloud/server';
import { buildProvider } from '../../workers/providers';
import type { VideoFacts, SuperResolveInput } from '../../workflows/contract';
import { failureMessage } from '../../workflows/failureMessage';
import { isRoot } from '../harness/mounts';
import { activityEnv, startTimeSkipping } from '../harness/workflowEnv';
import { makeMedia } from './generate';
import { ACCEPTED } from './worker';

type Files = Awaited<ReturnType<typeof makeMedia>>;
interface Case {
  name: string;
  input: Partial<SuperResolveInput>;
  /** An error type, or ACCEPTED. */
  expect: string;
  message?: RegExp;
  facts?: (f: VideoFacts) => void;
}

describe('bad-input corpus', () => {
  let dir: string;
  let files: Files;
  let env: TestWorkflowEnvironment;
  let cloud: LocalCloud;
  let worker: ChildProcess;
  let workerLog = '';
  let web: http.Server;
  let webPort = 0;
  let closedPort = 0;
  let deps: ActivityDeps;
  const taskQueue = 'corpus';
  const table: Array<[string, string, string]> = [];
  let n = 0;
  const out = (name: string) => path.join(dir, 'out', name);
  const local = (file: string) => ({ kind: 'local' as const, path: file });

  before(async () => {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'vsr-corpus-'));
    [files, env, cloud] = await Promise.all([
      makeMedia(path.join(dir, 'media')),
      startTimeSkipping(),
      startLocalCloud({ dataDir: path.join(dir, 'cloud'), engine: 'fast', submitsPerSecond: 0 }),
    ]);
    await arrangeFolders();
    [webPort, closedPort] = await startWeb();
    const workerEnv: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      VSR_TASK_QUEUE: taskQueue,
      VSR_PROVIDER: 'local',
      VSR_WORK_DIR: path.join(dir, 'work'),
      VSR_LOCAL_VIAPI_ENDPOINT: cloud.viapiEndpoint,
      VSR_LOCAL_OSS_ENDPOINT: cloud.ossEndpoint,
      VSR_LOCAL_ACCESS_KEY_ID: cloud.accessKeyId,
      VSR_LOCAL_ACCESS_KEY_SECRET: cloud.accessKeySecret,
      VSR_LOCAL_BUCKET: cloud.bucket,
      VSR_OUTPUT_ROOT: `${path.join(dir, 'out')},oss://${cloud.bucket}/out/`,
      VSR_ALLOW_PRIVATE_URLS: `127.0.0.1:${webPort},127.0.0.1:${closedPort}`,
    };
    deps = { ...buildProvider(loadConfig(workerEnv)), workDir: path.join(dir, 'work') } as ActivityDeps;
    await deps.storage.put(cloud.bucket, 'in/ok.mp4', files['ok-640x360.mp4']);
    await deps.storage.put(cloud.bucket, 'out/exists.mp4', files['ok-640x360.mp4']);
    worker = startWorker(workerEnv);
    await new Promise<void>((resolve, reject) => {
      worker.stdout?.on('data', (d: Buffer) => (d.toString().includes('ready') ? resolve() : undefined));
      worker.once('exit', (code) => reject(new Error(`corpus worker exited (${code}): ${workerLog}`)));
    });
  });

  after(async () => {
    worker?.kill('SIGKILL');
    web?.close();
    await cloud?.close();
    await env?.teardown();
    if (dir) {
      execFileSync('chmod', ['-R', 'u+rwX', dir]);
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
    console.log(
      `\n# corpus: ${table.length} cases\n${table.map(([c, want, got]) => `#   ${c.padEnd(58)} ${want === got ? got : `${got} (wanted ${want})`}`).join('\n')}`,
    );
  });

  /** Root ignores file modes; the worker then runs without the capabilities that let it (CAP_DAC_*). */
  function startWorker(workerEnv: NodeJS.ProcessEnv): ChildProcess {
    const script = path.join(__dirname, 'worker.js');
    let child: ChildProcess;
    if (isRoot) {
      const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));
      assert.ok(
        setpriv,
        'running as root, the corpus drops CAP_DAC_OVERRIDE from its worker with setpriv (util-linux): install util-linux',
      );
      child = spawn(setpriv, ['--bounding-set=-dac_override,-dac_read_search', process.execPath, script], { env: workerEnv });
    } else child = spawn(process.execPath, [script], { env: workerEnv });
    child.stderr?.on('data', (d: Buffer) => (workerLog += d.toString()));
    return child;
  }

  async function arrangeFolders(): Promise<void> {
    const o = path.join(dir, 'out');
    await fs.promises.mkdir(path.join(o, 'sub'), { recursive: true });
    await fs.promises.mkdir(path.join(dir, 'elsewhere'));
    await fs.promises.copyFile(files['ok-640x360.mp4'], out('own.mp4'));
    await fs.promises.copyFile(files['ok-640x360.mp4'], out('existing.mp4'));
    await fs.promises.symlink(out('own.mp4'), out('link-to-own.mp4'));
    await fs.promises.symlink(path.join(dir, 'elsewhere'), out('escape'));
    await fs.promises.mkdir(out('readonly'));
    await fs.promises.chmod(out('readonly'), 0o555);
    // Unreadable: owned by another user, no permissions (the worker has no capability to override that).
    const unreadable = path.join(dir, 'media', 'unreadable.mp4');
    await fs.promises.copyFile(files['ok-640x360.mp4'], unreadable);
    if (isRoot) await fs.promises.chown(unreadable, 65534, 65534);
    await fs.promises.chmod(unreadable, 0o000);
    await fs.promises.mkdir(path.join(dir, 'media', 'a-folder.mp4'));
  }

  /** A loopback web server for URL sources, and a port that is closed. */
  async function startWeb(): Promise<[number, number]> {
    const hits: Record<string, number> = {};
    web = http.createServer((req, res) => {
      const url = req.url ?? '/';
      const serve = (file: string) => {
        const size = fs.statSync(file).size;
        const m = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
        if (!m) return fs.createReadStream(file).pipe(res.writeHead(200, { 'content-length': size }));
        const [s, e] = [Number(m[1]), Math.min(size - 1, m[2] ? Number(m[2]) : size - 1)];
        fs.createReadStream(file, { start: s, end: e }).pipe(
          res.writeHead(206, { 'content-range': `bytes ${s}-${e}/${size}`, 'content-length': e - s + 1 }),
        );
      };
      // /busy.mp4 always answers 503; /flaky.mp4 answers 503 to its second request (the relay's first), then serves.
      const seen = (hits[url] = (hits[url] ?? 0) + 1);
      if (url === '/busy.mp4' || (url === '/flaky.mp4' && seen === 2)) res.writeHead(503).end();
      else if (url.startsWith('/ok.mp4') || url === '/flaky.mp4') serve(files['ok-640x360.mp4']);
      else if (url.startsWith('/really-webm.mp4')) serve(files['webm-named.mp4']);
      else if (url === '/loop') res.writeHead(302, { location: '/loop' }).end();
      else if (url === '/page.html')
        res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>not a video</title><p>hello</p>'.repeat(50));
      else if (url === '/to-internal') res.writeHead(302, { location: `${cloud.viapiEndpoint}/__admin/faults` }).end();
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const closed = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    return [(web.address() as AddressInfo).port, closed];
  }

  const cases = (): Case[] => {
    const f = files;
    const media = (name: keyof Files, expect: string, message?: RegExp): Case => ({
      name,
      input: { source: local(f[name]) },
      expect,
      message,
    });
    const url = (p: string) => ({ kind: 'url' as const, url: `http://127.0.0.1:${webPort}${p}` });
    const oss = (key: string) => ({ kind: 'oss' as const, bucket: cloud.bucket, key });
    return [
      // Containers, judged by probing
      media('ok-640x360.mp4', ACCEPTED),
      media('clip.mov', ACCEPTED),
      media('clip.avi', ACCEPTED),
      media('clip.flv', ACCEPTED),
      media('clip.ts', ACCEPTED),
      media('clip.mpg', ACCEPTED),
      media('clip.mxf', ACCEPTED),
      media('mkv-named.mp4', ACCEPTED),
      media('webm-named.mp4', 'UnsupportedContainer', /container "webm"/),
      media('clip.webm', 'UnsupportedContainer', /container "webm"/),
      media('anim.gif', 'UnsupportedContainer', /container "gif"/),
      media('clip.3gp', 'UnsupportedContainer', /container "3gp"/),
      media('audio-only.m4a', 'UnsupportedContainer', /container "m4a"/),
      media('audio-only.mp4', 'UnsupportedContainer', /no video stream/),
      media('still.png', 'UnsupportedContainer', /png_pipe/),
      media('still-jpeg-named.mp4', 'UnsupportedContainer', /jpeg_pipe/),
      media('two-video-streams.mkv', 'UnsupportedContainer', /2 video streams/),
      media('truncated.mp4', 'UnsupportedContainer', /not a readable video/),
      media('corrupt.mp4', 'UnsupportedContainer', /not a readable video/),
      media('empty.mp4', 'UnsupportedContainer', /is empty \(0 bytes\)/),
      media('exactly-1GiB.mp4', ACCEPTED),
      media('over-1GiB.mp4', 'FileTooLarge', /1073741825 bytes exceeds the limit of 1073741824/),
      // Resolution boundaries (short side 360..1080, long side <= 1920, portrait allowed)
      media('ok-360x360.mp4', ACCEPTED),
      media('ok-portrait-360x640.mp4', ACCEPTED),
      media('ok-1920x1080.mp4', ACCEPTED),
      media('ok-1080x1920.mp4', ACCEPTED),
      media('ok-1080x1080.mp4', ACCEPTED),
      media('ok-1920x360.mp4', ACCEPTED),
      media('ok-odd-641x361.mp4', ACCEPTED),
      media('bad-640x359.mp4', 'ResolutionOutOfRange', /short side 359px is below 360px/),
      media('bad-359x640.mp4', 'ResolutionOutOfRange', /short side 359px is below 360px/),
      media('bad-1921x1080.mp4', 'ResolutionOutOfRange', /long side 1921px is above 1920px/),
      media('bad-1080x1921.mp4', 'ResolutionOutOfRange', /long side 1921px is above 1920px/),
      media('bad-1082x1082.mp4', 'ResolutionOutOfRange', /short side 1082px is above 1080px/),
      media('bad-2048x1080.mp4', 'ResolutionOutOfRange', /long side 2048px/),
      {
        ...media('rotated-1920x1080-as-portrait.mp4', ACCEPTED),
        facts: (v) => assert.deepEqual([v.width, v.height, Math.abs(v.rotation ?? 0)], [1080, 1920, 90], 'sizes as displayed'),
      },
      media('vfr.mkv', ACCEPTED),
      { ...media('ten-bit.mp4', ACCEPTED), facts: (v) => assert.equal(v.pixelFormat, 'yuv420p10le') },
      { ...media('chroma-444.mp4', ACCEPTED), facts: (v) => assert.equal(v.pixelFormat, 'yuv444p') },
      // Local files that are not there, not files, or not readable
      {
        name: 'a folder',
        input: { source: local(path.join(dir, 'media', 'a-folder.mp4')) },
        expect: 'InvalidSource',
        message: /is a folder/,
      },
      {
        name: 'a missing file',
        input: { source: local(path.join(dir, 'media', 'missing.mp4')) },
        expect: 'SourceNotFound',
        message: /ENOENT/,
      },
      {
        name: 'an unreadable file',
        input: { source: local(path.join(dir, 'media', 'unreadable.mp4')) },
        expect: 'SourceNotFound',
        message: /cannot be read by the worker \(EACCES\)/,
      },
      { name: 'a relative path', input: { source: local('media/ok.mp4') }, expect: 'InvalidSource', message: /must be absolute/ },
      {
        name: 'a device, not a regular file',
        input: { source: local('/dev/zero') },
        expect: 'InvalidSource',
        message: /not a regular file/,
      },
      {
        name: 'file:///etc/passwd, read as a file (not a video)',
        input: { source: parseTarget('file:///etc/passwd', undefined, dir).source },
        expect: 'UnsupportedContainer',
        message: /not a readable video/,
      },
      // URLs
      { name: 'URL of a video', input: { source: url('/ok.mp4?v=2') }, expect: ACCEPTED },
      {
        name: 'URL with a token, payloads not encrypted',
        input: { source: url('/ok.mp4?token=abc') },
        expect: 'InvalidSource',
        message: /carries the query parameter token, which must not be stored in workflow history in plain text/,
      },
      { name: 'URL with Chinese characters', input: { source: url('/视频.mp4') }, expect: 'NonAsciiUrl', message: /Percent-encode/ },
      { name: 'URL answering 404', input: { source: url('/gone.mp4') }, expect: 'SourceNotFound', message: /HTTP 404/ },
      { name: 'URL answering 503, then the video', input: { source: url('/flaky.mp4') }, expect: ACCEPTED },
      {
        name: 'URL answering 503 through every retry',
        input: { source: url('/busy.mp4') },
        expect: 'SourceUnavailable',
        message: /could not be fetched for now \(answered HTTP 503\)/,
      },
      { name: 'URL in a redirect loop', input: { source: url('/loop') }, expect: 'SourceNotFound', message: /more than 5 redirects/ },
      {
        name: 'URL of an HTML page',
        input: { source: url('/page.html') },
        expect: 'UnsupportedContainer',
        message: /not a readable video/,
      },
      {
        name: 'URL of a WebM named .mp4',
        input: { source: url('/really-webm.mp4') },
        expect: 'UnsupportedContainer',
        message: /container "webm"/,
      },
      {
        name: 'URL on a closed port',
        input: { source: { kind: 'url', url: `http://127.0.0.1:${closedPort}/a.mp4` } },
        expect: 'SourceNotFound',
        message: /ECONNREFUSED/,
      },
      {
        name: "URL of the stand-in's admin (loopback, not allowed)",
        input: { source: { kind: 'url', url: `${cloud.viapiEndpoint}/__admin/faults` } },
        expect: 'SourceNotAllowed',
        message: /loopback address/,
      },
      {
        name: 'URL redirecting to a refused address',
        input: { source: url('/to-internal') },
        expect: 'SourceNotAllowed',
        message: /loopback address/,
      },
      {
        name: 'URL of localhost (not allowed)',
        input: { source: { kind: 'url', url: `http://localhost:${webPort}/ok.mp4` } },
        expect: 'SourceNotAllowed',
      },
      {
        name: 'file:///etc/passwd as a URL',
        input: { source: { kind: 'url', url: 'file:///etc/passwd' } },
        expect: 'InvalidSource',
        message: /must be an http\(s\) URL/,
      },
      // Objects
      { name: 'oss:// object', input: { source: oss('in/ok.mp4') }, expect: ACCEPTED },
      { name: 'oss://bucket/../../x', input: { source: oss('../../x') }, expect: 'InvalidSource', message: /\.\. segment/ },
      {
        name: 'oss:// key with a control character',
        input: { source: oss('in/a\u0001.mp4') },
        expect: 'InvalidSource',
        message: /control character/,
      },
      { name: 'oss:// key over 1023 bytes', input: { source: oss('k'.repeat(1024)) }, expect: 'InvalidSource', message: /1024 bytes/ },
      {
        name: 'oss:// bad bucket name',
        input: { source: { kind: 'oss', bucket: 'Bad_Bucket', key: 'a.mp4' } },
        expect: 'InvalidSource',
        message: /bucket "Bad_Bucket"/,
      },
      {
        name: 'oss:// object that does not exist',
        input: { source: oss('in/none.mp4') },
        expect: 'SourceNotFound',
        message: /does not exist/,
      },
      // Bitrate and deadline
      ...[0, 101, 7.5, -1, 'ten'].map((b): Case => ({
        name: `bitrate ${JSON.stringify(b)}`,
        input: { bitRateMbps: b as number },
        expect: 'InvalidBitRate',
        message: /integer from 1 to 100/,
      })),
      { name: 'deadline in the past', input: { deadline: '2020-01-01T00:00:00Z' }, expect: 'InvalidDeadline', message: /in the past/ },
      { name: 'deadline not a time', input: { deadline: 'tomorrow' }, expect: 'InvalidDeadline', message: /ISO-8601/ },
      // Destinations
      {
        name: 'destination equal to the source',
        input: { source: local(out('own.mp4')), destination: local(out('own.mp4')) },
        expect: 'InvalidDestination',
        message: /is the source file itself/,
      },
      {
        name: 'destination equal to the source via a symlink',
        input: { source: local(out('own.mp4')), destination: local(out('link-to-own.mp4')), overwrite: true },
        expect: 'InvalidDestination',
        message: /source file itself/,
      },
      {
        name: 'destination equal to the source via ..',
        input: { source: local(out('own.mp4')), destination: local(out('sub/../own.mp4')) },
        expect: 'InvalidDestination',
        message: /source file itself/,
      },
      {
        name: 'destination that exists',
        input: { destination: local(out('existing.mp4')) },
        expect: 'DestinationExists',
        message: /pass overwrite/,
      },
      {
        name: 'destination that exists, with overwrite',
        input: { destination: local(out('existing.mp4')), overwrite: true },
        expect: ACCEPTED,
      },
      {
        name: 'destination in a missing folder',
        input: { destination: local(out('missing/a.mp4')) },
        expect: 'InvalidDestination',
        message: /does not exist/,
      },
      {
        name: 'destination folder not writable',
        input: { destination: local(out('readonly/a.mp4')) },
        expect: 'InvalidDestination',
        message: /not writable \(EACCES\)/,
      },
      {
        name: 'destination escaping the root by ..',
        input: { destination: local(out('../elsewhere/a.mp4')) },
        expect: 'InvalidDestination',
        message: /outside the output roots/,
      },
      {
        name: 'destination escaping the root by a symlink',
        input: { destination: local(out('escape/a.mp4')) },
        expect: 'InvalidDestination',
        message: /outside the output roots/,
      },
      {
        name: 'oss:// destination equal to the source',
        input: { source: oss('out/exists.mp4'), destination: oss('out/exists.mp4'), overwrite: true },
        expect: 'InvalidDestination',
        message: /source object itself/,
      },
      { name: 'oss:// destination that exists', input: { destination: oss('out/exists.mp4') }, expect: 'DestinationExists' },
      {
        name: 'oss:// destination outside the root',
        input: { destination: oss('elsewhere/a.mp4') },
        expect: 'InvalidDestination',
        message: /outside the output roots/,
      },
      {
        name: 'oss:// destination key with ..',
        input: { destination: oss('out/../x.mp4') },
        expect: 'InvalidDestination',
        message: /\.\. segment/,
      },
    ];
  };

  /** Runs one case through the workflow; returns its error type (or ACCEPTED), message, scheduled activities and probed facts. */
  async function runCase(c: Case) {
    n += 1;
    const input: SuperResolveInput = { source: local(files['ok-640x360.mp4']), destination: local(out(`result-${n}.mp4`)), ...c.input };
    const handle = await env.client.workflow.start('superResolveVideo', { taskQueue, workflowId: `corpus-${n}`, args: [input] });
    const err = await handle.result().then(
      () => assert.fail(`${c.name}: the run completed`),
      (e: unknown) => e,
    );
    const message = failureMessage(err);
    const events = (await handle.fetchHistory()).events ?? [];
    const activities = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    const completed = events.find((e) => e.activityTaskCompletedEventAttributes)?.activityTaskCompletedEventAttributes?.result
      ?.payloads?.[0]?.data;
    const facts = completed ? (JSON.parse(Buffer.from(completed).toString()) as { facts: VideoFacts }).facts : undefined;
    return { type: /^(\w+): /.exec(message)?.[1] ?? '', message, activities, facts };
  }

  it('runs every case to its typed end before anything is uploaded or billed', async () => {
    const all = cases();
    assert.ok(all.length >= 40, `${all.length} cases`);
    for (const c of all) {
      const r = await runCase(c);
      table.push([c.name, c.expect, r.type]);
      assert.equal(r.type, c.expect, `${c.name}: ${r.message}`);
      if (c.message) assert.match(r.message, c.message, c.name);
      if (c.expect === ACCEPTED) {
        assert.ok(['uploadSource', 'requestSubmit'].includes(r.activities[1]), `${c.name}: ${r.activities.join(',')}`);
        c.facts?.(r.facts as VideoFacts);
      } else assert.deepEqual(r.activities, ['validateInput'], `${c.name}: nothing but validation ran`);
    }
  });

  it('refuses malformed and repeating manifest rows, typed, before any video starts', async () => {
    const list = makeBatchActivities(deps).listBatchItems;
    const manifests: Array<[string, string, RegExp]> = [
      [
        'repeat.csv',
        `${files['ok-640x360.mp4']},${out('a.mp4')}\n${files['clip.mov']},${out('a.mp4')}\n`,
        /entry 2 writes .*a\.mp4, as entry 1 does/,
      ],
      ['same-twice.csv', `${files['ok-640x360.mp4']}\n${files['ok-640x360.mp4']}\n`, /entry 2 writes .* as entry 1 does/],
      ['cells.csv', `${files['ok-640x360.mp4']},${out('b.mp4')},5,extra\n`, /has 4 cells/],
      ['bitrate.csv', `${files['ok-640x360.mp4']},${out('c.mp4')},ten\n`, /bitrate "ten" is invalid: must be an integer from 1 to 100/],
      ['bitrate-e.csv', `${files['ok-640x360.mp4']},${out('d.mp4')},1e1\n`, /bitrate "1e1" is invalid/],
      ['no-source.csv', `,${out('e.mp4')}\n`, /entry 1 has no source/],
      ['bad-oss.csv', `oss://${cloud.bucket}/../../x\n`, /\.\. segment/],
      ['scheme.csv', `ftp://h/a.mp4\n`, /scheme ftp: is not supported/],
      ['broken.json', '[{"source": "a.mp4",', /not valid JSON/],
      ['not-array.json', '{"source": "a.mp4"}', /must be a JSON array/],
      ['not-object.json', '["a.mp4"]', /entry 1 must be an object/],
      ['number-source.json', '[{"source": 5}]', /entry 1 has no source/],
    ];
    for (const [name, text, why] of manifests) {
      const file = path.join(dir, name);
      await fs.promises.writeFile(file, text);
      const batch = {
        batchId: 'b',
        manifest: { kind: 'file' as const, path: file },
        output: { kind: 'local' as const, dir: out('batch') },
      };
      await assert.rejects(
        activityEnv().run(list, { batch, offset: 0, limit: 100 }),
        (e: Error & { type?: string }) => e.type === 'InvalidManifest' && why.test(e.message),
        name,
      );
      table.push([`manifest ${name}`, 'InvalidManifest', 'InvalidManifest']);
    }
  });

  it('refuses on the command line what is malformed as text (bitrate, oss:// keys, schemes)', () => {
    for (const b of ['1e1', '7.5', 'ten', '-1', '0', '101']) {
      assert.throws(
        () => bitRateFlag(parseArgs(['--bitrate', b], ['bitrate'], [])),
        (e: Error) => e instanceof UsageError && e.message.includes(b) && /integer from 1 to 100/.test(e.message),
      );
      table.push([`--bitrate ${b}`, 'InvalidBitRate (usage)', 'InvalidBitRate (usage)']);
    }
    for (const text of ['oss://bucket/../../x', 'oss://bucket/', 'gopher://h/a.mp4']) {
      assert.throws(() => parseTarget(text, undefined, dir), UsageError, text);
      table.push([`input ${text}`, 'InvalidSource (usage)', 'InvalidSource (usage)']);
    }
  });

  it('leaves nothing behind: no objects, no multipart uploads, no jobs, no files', async () => {
    assert.equal(cloud.billableJobs(), 0, 'nothing billed');
    assert.deepEqual(
      cloud.objects
        .list(cloud.bucket, '')
        .map((o) => o.key)
        .sort(),
      ['in/ok.mp4', 'out/exists.mp4'],
      'no objects but the fixtures',
    );
    assert.deepEqual(await deps.storage.listUploads(cloud.bucket, ''), [], 'no multipart uploads');
    const outFiles = execFileSync('find', [path.join(dir, 'out'), '-mindepth', '1'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((p) => path.relative(dir, p))
      .sort();
    assert.deepEqual(outFiles, ['out/escape', 'out/existing.mp4', 'out/link-to-own.mp4', 'out/own.mp4', 'out/readonly', 'out/sub']);
    assert.deepEqual(await fs.promises.readdir(path.join(dir, 'elsewhere')), []);
    assert.equal(fs.existsSync(path.join(dir, 'work')) ? fs.readdirSync(path.join(dir, 'work')).length : 0, 0, 'work folder empty');
  });
});
