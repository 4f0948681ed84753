// A user's files through the real command line and stack: `vsr upscale a.mp4 --out a.mp4` never destroys the original,
// an existing output is kept unless --overwrite, and a rotated phone video comes back upscaled as displayed.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { probe } from '../../activities/media';
import { makeSampleVideo } from '../../app/embedded/sample';
import type { VsrWorkers } from '../../workers/worker';
import { inProcessWorker, startTestStack, type TestStack } from '../harness/stack';

const VSR = path.join(__dirname, '..', '..', '..', 'bin', 'vsr.js');

describe('file safety through the command line', () => {
  let stack: TestStack;
  let worker: { worker: VsrWorkers; running: Promise<void> };
  let source: string;
  const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

  before(async () => {
    stack = await startTestStack('filesafety');
    worker = await inProcessWorker(stack);
    source = await makeSampleVideo(path.join(stack.dir, 'a.mp4'), { width: 640, height: 360, seconds: 1 });
  });
  after(async () => {
    worker.worker.shutdown();
    await worker.running;
    await stack.close();
  });

  /** `vsr upscale ...` in a child process (asynchronously: the worker serving it runs in this process). */
  function vsr(...args: string[]): Promise<{ status: number | null; out: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [VSR, 'upscale', ...args],
        { cwd: stack.dir, env: stack.workerEnv, timeout: 120_000 },
        (err, stdout, stderr) => resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
      );
    });
  }

  it('refuses `vsr upscale a.mp4 --out a.mp4`, however the output is spelled, and keeps the original', async () => {
    const before = sha(source);
    fs.symlinkSync(source, path.join(stack.dir, 'link.mp4'));
    fs.mkdirSync(path.join(stack.dir, 'sub'));
    for (const out of ['a.mp4', './a.mp4', 'sub/../a.mp4', path.join(stack.dir, 'a.mp4'), 'link.mp4', `file://${source}`]) {
      const r = await vsr('a.mp4', '--out', out, '--overwrite');
      assert.equal(r.status, 1, r.out);
      assert.match(
        r.out,
        /InvalidDestination: destination\.path .* is the source file itself; the upscale would destroy the original/,
        out,
      );
    }
    assert.equal(sha(source), before);
    assert.equal(stack.cloud.billableJobs(), 0, 'nothing paid');
    assert.deepEqual(
      fs.readdirSync(stack.dir).filter((f) => f.startsWith('.')),
      [],
      'no temporary files',
    );
  });

  it('keeps an existing output unless --overwrite, which replaces it whole', async () => {
    const out = path.join(stack.dir, 'existing.mp4');
    fs.writeFileSync(out, 'the user made this');
    const kept = await vsr('a.mp4', '--out', 'existing.mp4');
    assert.equal(kept.status, 1, kept.out);
    assert.match(kept.out, /DestinationExists: destination\.path .*existing\.mp4" already exists; pass overwrite \(--overwrite\)/);
    assert.equal(fs.readFileSync(out, 'utf8'), 'the user made this');
    const replaced = await vsr('a.mp4', '--out', 'existing.mp4', '--overwrite');
    assert.equal(replaced.status, 0, replaced.out);
    const facts = await probe(out);
    assert.deepEqual([facts.videoCodec, facts.width, facts.height], ['h264', 1280, 720]);
    assert.equal(stack.cloud.billableJobs(), 1);
  });

  it('refuses an output folder that does not exist instead of creating it', async () => {
    const r = await vsr('a.mp4', '--out', 'typo/out.mp4');
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /InvalidDestination: .*typo does not exist \(vsr does not create it\)/);
    assert.equal(fs.existsSync(path.join(stack.dir, 'typo')), false);
  });

  it('upscales a rotated phone video as displayed: 640x360 stored, turned a quarter, comes back 720x1280', async () => {
    const rotated = path.join(stack.dir, 'phone.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', source, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', rotated]);
    const r = await vsr('phone.mp4', '--out', 'phone.x2.mp4');
    assert.equal(r.status, 0, r.out);
    const facts = await probe(path.join(stack.dir, 'phone.x2.mp4'));
    assert.deepEqual([facts.width, facts.height], [720, 1280], 'displayed size doubled');
  });
});
