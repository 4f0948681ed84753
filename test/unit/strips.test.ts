// The model run in strips gives the same frame as one whole-frame run, for even and odd sizes and for
// strips of any height.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { defaultModelPath } from '../../localcloud/engine/neuralEngine';
import { stripRows, upscaleFrame, type RunStrip } from '../../localcloud/engine/strips';

const photo = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'seeding-640x360.jpg');

function yuv420p(w: number, h: number): Uint8Array {
  return new Uint8Array(
    execFileSync('ffmpeg', ['-v', 'error', '-i', photo, '-vf', `scale=${w}:${h}`, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1'], {
      maxBuffer: 64 << 20,
    }),
  );
}

describe('strips', () => {
  it('cuts frames into even strips of about 100k pixels', () => {
    assert.equal(stripRows(640, 360), 180);
    assert.equal(stripRows(1920, 1080), 52);
    assert.equal(stripRows(64, 36), 36);
    assert.equal(stripRows(321, 181), 182);
  });

  it('upscales exactly as a whole-frame run', async () => {
    const session = await ort.InferenceSession.create(defaultModelPath(), { intraOpNumThreads: 1 });
    for (const [w, h] of [
      [640, 360],
      [321, 181],
    ]) {
      const cw = Math.ceil(w / 2);
      const run: RunStrip = async (y, uv, rows, chromaRows) => {
        const r = await session.run({
          y: new ort.Tensor('uint8', y, [1, 1, rows, w]),
          uv: new ort.Tensor('uint8', uv, [1, 2, chromaRows, cw]),
        });
        return { y2: r.y2.data as Uint8Array, uv2: r.uv2.data as Uint8Array };
      };
      const frame = yuv420p(w, h);
      const whole = await upscaleFrame(frame, w, h, h, run);
      for (const rows of [2, 30, 64, 120]) {
        const strips = await upscaleFrame(frame, w, h, rows, run);
        let differ = 0;
        for (let i = 0; i < whole.length; i++) if (whole[i] !== strips[i]) differ++;
        assert.equal(differ, 0, `${w}x${h} in strips of ${rows} rows: ${differ} of ${whole.length} bytes differ`);
      }
    }
  });
});
