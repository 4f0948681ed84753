// The engines the stand-in can run, by name: one place decides the names, the default and the variable.
import os from 'node:os';
import path from 'node:path';
import type { Engine } from './engine';
import { FfmpegEngine } from './ffmpegEngine';
import { NeuralEngine } from './neuralEngine';
import { ZeroWorkEngine } from './zeroWorkEngine';

/** `zero`: no per-frame work, for load tests (zeroWorkEngine.ts). */
export const ENGINE_NAMES = ['neural', 'lanczos', 'fast', 'zero'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];
/** The learned engine: meets the speed bar on 2 cores (README "Engines"). */
export const DEFAULT_ENGINE: EngineName = 'neural';
/** Environment variable choosing the engine for `vsr localcloud`, `vsr dev` and the embedded stack. */
export const ENGINE_ENV = 'VSR_ENGINE';

export function isEngineName(v: string): v is EngineName {
  return (ENGINE_NAMES as readonly string[]).includes(v);
}

/** `--engine` when given, else $VSR_ENGINE, else the default; a wrong name names the choices. */
export function engineNameFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): EngineName {
  const [value, source] = flag !== undefined ? [flag, '--engine'] : [env[ENGINE_ENV], ENGINE_ENV];
  if (value === undefined || value === '') return DEFAULT_ENGINE;
  if (!isEngineName(value)) throw new Error(`${source} ${value} is not an engine: use ${ENGINE_NAMES.join(', ')}`);
  return value;
}

/** `workDir`: where an engine may keep files between jobs (the stand-in's work folder, emptied on start). */
export function createEngine(name: EngineName, workDir = os.tmpdir()): Engine {
  switch (name) {
    case 'neural':
      return new NeuralEngine();
    case 'lanczos':
      return new FfmpegEngine('quality');
    case 'fast':
      return new FfmpegEngine('fast');
    case 'zero':
      return new ZeroWorkEngine(path.join(workDir, 'zero-work'));
  }
}
