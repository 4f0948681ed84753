// Which engine the stand-in runs: --engine, else $VSR_ENGINE, else the learned engine.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEngine, DEFAULT_ENGINE, engineNameFrom } from '../../localcloud/engine/engines';
import { FfmpegEngine } from '../../localcloud/engine/ffmpegEngine';
import { NeuralEngine } from '../../localcloud/engine/neuralEngine';

describe('engine selection', () => {
  it('prefers the flag, then VSR_ENGINE, then the neural default', () => {
    assert.equal(DEFAULT_ENGINE, 'neural');
    assert.equal(engineNameFrom(undefined, {}), 'neural');
    assert.equal(engineNameFrom(undefined, { VSR_ENGINE: 'lanczos' }), 'lanczos');
    assert.equal(engineNameFrom('fast', { VSR_ENGINE: 'lanczos' }), 'fast');
  });

  it('names the choices when given a wrong one', () => {
    assert.throws(() => engineNameFrom('quality', {}), /--engine quality is not an engine: use neural, lanczos, fast/);
    assert.throws(() => engineNameFrom(undefined, { VSR_ENGINE: 'esrgan' }), /VSR_ENGINE esrgan is not an engine/);
  });

  it('builds each engine', () => {
    assert.ok(createEngine('neural') instanceof NeuralEngine);
    assert.equal(createEngine('lanczos').name, 'ffmpeg-lanczos-quality');
    assert.ok(createEngine('fast') instanceof FfmpegEngine);
    assert.equal(createEngine('fast').name, 'ffmpeg-lanczos-fast');
  });
});
