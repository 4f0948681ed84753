// `vsr dev` and `vsr upscale` as a user runs them: real processes, the Web UI answering, a clean Ctrl-C.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { portAnswers } from '../../app/embedded/devServer';
import { makeSampleVideo } from '../../app/embedded/sample';
import { probe } from '../../activities/media';
import { freePort } from '../harness/ports';

const VSR = path.join(__dirname, '..', '..', '..', 'bin', 'vsr.js');

describe('vsr dev', () => {
  let dir: string;
  let ports: { grpc: number; ui: number; viapi: number; oss: number };
  let dev: ChildProcess | undefined;

  before(async () => {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'vsr-dev-'));
    ports = { grpc: await freePort(), ui: await freePort(), viapi: await freePort(), oss: await freePort() };
  });
  after(async () => {
    dev?.kill('SIGKILL');
    await fs.promises.rm(dir, { recursive: true, force: true });
  });

  async function startDev(): Promise<{ child: ChildProcess; output: () => string }> {
    const child = spawn(
      process.execPath,
      [
        VSR,
        'dev',
        '--data',
        path.join(dir, 'home'),
        '--port',
        String(ports.grpc),
        '--ui-port',
        String(ports.ui),
        '--viapi-port',
        String(ports.viapi),
        '--oss-port',
        String(ports.oss),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    dev = child;
    let out = '';
    // Up when it prints its closing line; a start-up that exits first fails with what it printed.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`vsr dev did not come up:\n${out}`)), 90_000);
      const collect = (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ctrl-C stops everything')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', collect);
      child.stderr?.on('data', collect);
      child.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`vsr dev exited early:\n${out}`));
      });
    });
    return { child, output: () => out };
  }

  async function stopDev(child: ChildProcess): Promise<number | null> {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    return exited;
  }

  it('serves the Web UI, registers search attributes, runs an upscale, stops cleanly and keeps history', async () => {
    const { child, output } = await startDev();
    assert.match(output(), new RegExp(`Temporal gRPC: +127.0.0.1:${ports.grpc}`));
    assert.match(output(), new RegExp(`Temporal UI: +http://127.0.0.1:${ports.ui}`));
    const page = await fetch(`http://127.0.0.1:${ports.ui}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);

    const connection = await Connection.connect({ address: `127.0.0.1:${ports.grpc}` });
    const attrs = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    for (const name of ['VsrStage', 'VsrProvider', 'VsrBatchId']) assert.ok(name in (attrs.customAttributes ?? {}), `${name} registered`);

    // A user's upscale against the running stack (found through TEMPORAL_ADDRESS).
    const input = await makeSampleVideo(path.join(dir, 'clip.mp4'));
    const out = path.join(dir, 'clip-big.mp4');
    const run = spawnSync(process.execPath, [VSR, 'upscale', input, '--out', out, '--bitrate', '2', '--key', 'dev-test'], {
      env: { ...process.env, TEMPORAL_ADDRESS: `127.0.0.1:${ports.grpc}`, TEMPORAL_UI_URL: `http://127.0.0.1:${ports.ui}` },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), out);
    assert.match(run.stderr, new RegExp(`http://127.0.0.1:${ports.ui}/namespaces/default/workflows/vsr-dev-test-`));
    assert.equal((await probe(out)).width, 1280);
    const workflowId = /workflows\/(vsr-dev-test-[0-9a-f]{16})/.exec(run.stderr)?.[1] as string;
    await connection.close();

    const cliEnv = { ...process.env, TEMPORAL_ADDRESS: `127.0.0.1:${ports.grpc}` };
    const status = spawnSync(process.execPath, [VSR, 'status', workflowId], { env: cliEnv, encoding: 'utf8' });
    assert.equal(status.status, 0, status.stderr);
    const described = JSON.parse(status.stdout) as { status: string; result: { width: number } };
    assert.deepEqual([described.status, described.result.width], ['COMPLETED', 1280]);

    const folder = path.join(dir, 'folder');
    await fs.promises.mkdir(folder);
    for (const name of ['one.mp4', 'two.mp4']) await fs.promises.copyFile(input, path.join(folder, name));
    const batch = spawnSync(process.execPath, [VSR, 'batch', folder, '--bitrate', '2'], {
      env: cliEnv,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(batch.status, 0, batch.stderr);
    assert.match(batch.stderr, /2 videos: 2 done, 0 failed, 0 skipped/);
    const [summaryJson, summaryCsv] = batch.stdout.trim().split('\n');
    assert.equal(summaryJson, path.join(`${folder}.x2`, path.basename(summaryJson)));
    assert.ok(fs.existsSync(summaryCsv));
    assert.ok(fs.existsSync(path.join(`${folder}.x2`, 'one.x2.mp4')));

    assert.equal(await stopDev(child), 0);
    for (const port of Object.values(ports)) assert.equal(await portAnswers(port), false, `port ${port} released`);
    const leftovers = spawnSync('pgrep', ['-f', path.join(dir, 'home')], { encoding: 'utf8' }).stdout.trim();
    assert.equal(leftovers, '', 'no process left running');

    // History lives in the data folder: a restarted stack still shows the run.
    const again = await startDev();
    const c2 = await Connection.connect({ address: `127.0.0.1:${ports.grpc}` });
    const d = await new Client({ connection: c2 }).workflow.getHandle(workflowId).describe();
    assert.equal(d.status.name, 'COMPLETED');
    await c2.close();
    assert.equal(await stopDev(again.child), 0);
  });

  it('rejects a bad upscale with the typed error and a non-zero exit', () => {
    const run = spawnSync(process.execPath, [VSR, 'upscale', path.join(dir, 'missing.mp4'), '--bitrate', '500'], {
      encoding: 'utf8',
      env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' },
    });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--bitrate 500 is invalid: must be an integer from 1 to 100/);
  });
});
