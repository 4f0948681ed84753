// The training script end to end on tiny data: a few steps, a checkpoint it resumes from, and an ONNX
// export with the engine's interface (uint8 luma + chroma in, exactly 2x out) that onnxruntime-node runs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..', '..');

describe('training script', () => {
  let dir: string;
  let python: string;

  before(async () => {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'vsr-train-'));
    // Provisioned by `scripts/setup.sh --test` (npm test, CI); prints the venv's python.
    python = (await run('bash', [path.join(root, 'training', 'setup-venv.sh')], { maxBuffer: 16 << 20 })).stdout.trim();
    await fs.promises.mkdir(path.join(dir, 'images'));
    for (const [name, source] of [
      ['fractal.png', 'mandelbrot=size=160x160'],
      ['pattern.png', 'testsrc2=size=192x160'],
    ])
      await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', source, '-frames:v', '1', path.join(dir, 'images', name)]);
  });
  after(async () => {
    await fs.promises.rm(dir, { recursive: true, force: true });
  });

  const train = (steps: number) =>
    run(
      python,
      [
        ...[path.join(root, 'training', 'train.py'), '--data', path.join(dir, 'images'), '--out', path.join(dir, 'run')],
        ...['--steps', String(steps), '--batch', '2', '--patch', '64', '--val-every', '2', '--save-every', '2', '--threads', '1'],
        // Every batch through the H.264 round trip, so that path runs too.
        ...['--compressed', '1'],
      ],
      { cwd: path.join(root, 'training'), maxBuffer: 16 << 20, env: { ...process.env, VSR_CACHE_DIR: path.join(dir, 'cache') } },
    );

  it('trains a few steps, resumes from its checkpoint, and exports a model the engine can run', async () => {
    const first = await train(4);
    assert.match(first.stdout, /step 4 loss [\d.]+ val PSNR-Y/);
    const second = await train(6);
    assert.match(second.stdout, /resumed at step 4/);
    assert.match(second.stdout, /step 6 loss/);

    const meta = JSON.parse(await fs.promises.readFile(path.join(dir, 'run', 'meta.json'), 'utf8')) as { params: number; steps: number };
    assert.equal(meta.steps, 6);
    assert.ok(meta.params > 1000, `params ${meta.params}`);

    const session = await ort.InferenceSession.create(path.join(dir, 'run', 'model.onnx'));
    const y = new ort.Tensor('uint8', new Uint8Array(9 * 10).fill(100), [1, 1, 9, 10]);
    const uv = new ort.Tensor('uint8', new Uint8Array(2 * 5 * 5).fill(128), [1, 2, 5, 5]);
    const out = await session.run({ y, uv });
    assert.deepEqual(out.y2.dims, [1, 1, 18, 20]);
    assert.deepEqual(out.uv2.dims, [1, 2, 10, 10]);
    assert.equal(out.y2.type, 'uint8');
    // A flat picture stays flat (within rounding) after a few steps: the bicubic skip dominates.
    const y2 = out.y2.data as Uint8Array;
    assert.ok(Math.abs(y2[9 * 20 + 10] - 100) <= 3, `centre ${y2[9 * 20 + 10]}`);
  });
});
