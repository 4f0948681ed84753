// The download activity on a real full disk (a 2 MiB tmpfs): a typed, retryable NoSpaceLeft naming the folder, the
// partial file removed, and the process alive (before the fix an unhandled stream 'error' killed the worker).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from '../../activities/deps';
import { partialPath } from '../../activities/destination';
import { makeDownload } from '../../activities/download';
import { parseAllowList } from '../../activities/net/addresses';
import type { ObjectStorage } from '../../activities/provider/oss';
import type { ViapiClient } from '../../activities/provider/viapi';
import type { DownloadInput } from '../../activities/types';
import { mountTmpfs } from '../harness/mounts';
import { activityEnv } from '../harness/workflowEnv';

describe('download onto a full disk', () => {
  let dir: string;
  let unmount: () => void;
  let server: http.Server;
  let port = 0;

  before(async () => {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'vsr-full-'));
    unmount = mountTmpfs(path.join(dir, 'disk'), '2m');
    // A 6 MiB "result", more than the disk holds.
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(6 * 1024 * 1024) });
      res.end(Buffer.alloc(6 * 1024 * 1024, 1));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.close();
    unmount();
    await fs.promises.rm(dir, { recursive: true, force: true });
  });

  function deps(): ActivityDeps {
    return {
      provider: 'local',
      viapi: {
        getResult: async () => ({ status: 'PROCESS_SUCCESS', resultUrl: `http://127.0.0.1:${port}/result.mp4` }),
      } as unknown as ViapiClient,
      storage: {} as ObjectStorage,
      workBucket: 'work',
      workDir: path.join(dir, 'disk'),
      now: () => Date.now(),
      reportProgress: async () => undefined,
      account: async () => 'test',
      urlPolicy: { allow: parseAllowList(`127.0.0.1:${port}`) },
    };
  }

  for (const where of ['the work folder (an oss:// destination)', 'the destination folder (a local destination)']) {
    it(`fails the attempt with NoSpaceLeft naming ${where}, and removes the partial file`, async () => {
      const input: DownloadInput = {
        workflowId: 'wf-full',
        jobId: 'job-1',
        destination: where.includes('oss')
          ? { kind: 'oss', bucket: 'b-1', key: 'out.mp4' }
          : { kind: 'local', path: path.join(dir, 'disk', 'out.mp4') },
        expectedWidth: 1280,
        expectedHeight: 720,
      };
      const err = await activityEnv()
        .run(makeDownload(deps()), input)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      assert.ok(err instanceof ApplicationFailure, `a typed failure, got ${String(err)}`);
      assert.equal(err.type, 'NoSpaceLeft');
      assert.equal(err.nonRetryable, false, 'space may be freed: the activity retries');
      assert.match(
        err.message,
        new RegExp(`no space left in ${path.join(dir, 'disk')} .*partial file removed.*free at least 6291456 bytes`),
      );
      assert.equal(fs.existsSync(partialPath(path.join(dir, 'disk'), input.destination, input.workflowId)), false);
      assert.deepEqual(await fs.promises.readdir(path.join(dir, 'disk')), [], 'nothing left on the disk');
    });
  }

  it('does not write through a symlink planted at the partial file name', async () => {
    const target = path.join(dir, 'victim.txt');
    await fs.promises.writeFile(target, 'keep me');
    const destination = { kind: 'local' as const, path: path.join(dir, 'out.mp4') };
    const part = partialPath(dir, destination, 'wf-link');
    await fs.promises.symlink(target, part);
    const err = await activityEnv()
      .run(makeDownload(deps()), { workflowId: 'wf-link', jobId: 'j', destination, expectedWidth: 2, expectedHeight: 2 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(err instanceof ApplicationFailure);
    assert.equal(err.type, 'InvalidDestination');
    assert.equal(await fs.promises.readFile(target, 'utf8'), 'keep me');
  });
});
