// The learned engine: ffmpeg decodes raw yuv420p frames, a small CNN (ONNX, in worker threads, one per
// core, each on whole frames in turn) upscales luma 2x and resizes chroma bilinearly, ffmpeg encodes
// with the same settings as the lanczos engine and takes the audio from the input. At most two frames
// per worker are in memory at once.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { Engine, UpscaleOptions } from './engine';
import { h264OutputArgs, type X264Preset } from './encoding';
import type { FrameMessage, WorkerSetup } from './neuralWorker';
import { fps, probeFile } from '../media/probe';

export const MODEL_FILE = 'sr2x.onnx';

/** The committed model: next to the compiled code, or in the source tree when running from dist/. */
export function defaultModelPath(): string {
  const candidates = [
    path.join(__dirname, 'models', MODEL_FILE),
    path.resolve(__dirname, '..', '..', '..', 'localcloud', 'engine', 'models', MODEL_FILE),
  ];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`the neural engine's model ${MODEL_FILE} is missing (looked in ${candidates.join(', ')})`);
  return found;
}

export interface NeuralEngineOptions {
  modelPath?: string;
  /** x264 preset; the model leaves less CPU to the encoder than lanczos does. */
  preset?: X264Preset;
  /** Model worker threads, each single-threaded on its own frames (default: one per core). */
  workers?: number;
}

export class NeuralEngine implements Engine {
  readonly name = 'neural';
  private readonly modelPath: string;
  constructor(private readonly o: NeuralEngineOptions = {}) {
    this.modelPath = o.modelPath ?? defaultModelPath();
  }

  async upscale(input: string, output: string, options: UpscaleOptions): Promise<void> {
    const { signal } = options;
    signal?.throwIfAborted();
    const facts = await probeFile(input);
    signal?.throwIfAborted();
    if (!facts.hasVideo) throw new Error(`${input} has no video stream`);
    const { width: w, height: h } = facts;
    const frameBytes = w * h + 2 * Math.ceil(w / 2) * Math.ceil(h / 2);
    const expectedFrames = Math.max(1, Math.round(facts.durationSeconds * fps(facts.frameRate)));

    const setup: WorkerSetup = { modelPath: this.modelPath, width: w, height: h };
    // The workers first: if they cannot start, no ffmpeg has been spawned yet.
    const models = Array.from(
      { length: Math.max(1, this.o.workers ?? os.availableParallelism()) },
      () => new ModelClient(new Worker(path.join(__dirname, 'neuralWorker.js'), { workerData: setup })),
    );
    const closeModels = () => Promise.all(models.map((m) => m.close()));
    // Frames decoded ahead, so the decoder, every worker and the encoder overlap.
    const depth = 2 * models.length + 1;
    const decoder = ffmpeg(
      ['-i', input, '-map', '0:v:0', '-fps_mode', 'cfr', '-r', facts.frameRate, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1'],
      'ignore',
    );
    const encoder = ffmpeg(
      [
        '-y',
        ...['-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${2 * w}x${2 * h}`, '-framerate', facts.frameRate, '-i', 'pipe:0'],
        ...['-i', input, '-map', '0:v:0', '-map', '1:a?'],
        ...h264OutputArgs(options.bitRateMbps, this.o.preset ?? 'veryfast', 2 * w, 2 * h),
        output,
      ],
      'pipe',
    );

    const stopAll = () => {
      for (const { child } of [decoder, encoder]) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      void closeModels();
    };
    signal?.addEventListener('abort', stopAll, { once: true });
    // Any child failing ends the whole job: no half-fed encoder keeps running.
    const exits = (
      [
        ['decoder', decoder.exit],
        ['encoder', encoder.exit],
      ] as const
    ).map(([role, exit]) =>
      exit.catch((err: Error) => {
        stopAll();
        throw new Error(`${role}: ${err.message}`);
      }),
    );
    // Awaited below; marked handled so a failure before then is not an unhandled rejection.
    for (const e of exits) e.catch(() => undefined);
    try {
      const pending: Array<Promise<Uint8Array>> = [];
      let done = 0;
      const emit = async () => {
        const frame = await (pending.shift() as Promise<Uint8Array>);
        await write(encoder.child.stdin as Writable, frame);
        done += 1;
        options.onProgress?.(Math.min(0.99, done / expectedFrames));
      };
      let decoded = 0;
      for await (const frame of readFrames(decoder.child.stdout as Readable, frameBytes)) {
        const upscaled = models[decoded++ % models.length].upscale(frame);
        // Awaited in order by emit(); after a failure the rest are dropped, so mark them handled.
        upscaled.catch(() => undefined);
        pending.push(upscaled);
        if (pending.length >= depth) await emit();
      }
      while (pending.length > 0) await emit();
      (encoder.child.stdin as Writable).end();
      await Promise.all(exits);
      if (done === 0) throw new Error('the input decoded to no frames');
      options.onProgress?.(1);
    } catch (err) {
      stopAll();
      const settled = await Promise.allSettled(exits);
      signal?.throwIfAborted();
      // A child's own failure says more than the broken pipe it left behind.
      const childFailure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      throw childFailure ? childFailure.reason : err;
    } finally {
      signal?.removeEventListener('abort', stopAll);
      await closeModels();
    }
  }
}

/** Sends frames to the worker and matches its answers to them. */
class ModelClient {
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (f: Uint8Array) => void; reject: (e: Error) => void }>();
  private closing?: Promise<void>;
  private onStopped = () => {};
  constructor(private readonly worker: Worker) {
    worker.on('message', (m: (FrameMessage & { error?: string }) | 'stopped') => {
      if (m === 'stopped') return this.onStopped();
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.error) w?.reject(new Error(`model: ${m.error}`));
      else w?.resolve(m.frame);
    });
    const failAll = (err: Error) => {
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', () => failAll(new Error('model worker stopped')));
  }

  /** Ends the worker once no inference is running (frames still queued are dropped). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
      const stopped = new Promise<void>((resolve) => (this.onStopped = resolve));
      this.worker.postMessage('stop');
      await Promise.race([stopped, exited]);
      await this.worker.terminate();
    })();
    return this.closing;
  }

  upscale(frame: Uint8Array): Promise<Uint8Array> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, frame } satisfies FrameMessage, [frame.buffer as ArrayBuffer]);
    });
  }
}

/** An ffmpeg child whose exit (with the end of its stderr on failure) is a promise. */
function ffmpeg(args: string[], stdin: 'pipe' | 'ignore'): { child: ChildProcess; exit: Promise<void> } {
  const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', ...args], { stdio: [stdin, 'pipe', 'pipe'] });
  // A dying encoder breaks the pipe; its exit status reports why.
  child.stdin?.on('error', () => undefined);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exit = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, sig) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code ?? sig}: ${stderr.trim()}`))));
  });
  return { child, exit };
}

/** Whole frames from a raw video stream, each in its own buffer (transferred to the worker). */
async function* readFrames(stream: Readable, frameBytes: number): AsyncGenerator<Uint8Array> {
  let frame = new Uint8Array(frameBytes);
  let filled = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(frameBytes - filled, chunk.length - offset);
      frame.set(chunk.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
      if (filled === frameBytes) {
        yield frame;
        frame = new Uint8Array(frameBytes);
        filled = 0;
      }
    }
  }
  if (filled !== 0) throw new Error(`decoder ended inside a frame (${filled} of ${frameBytes} bytes)`);
}

async function write(stream: Writable, data: Uint8Array): Promise<void> {
  if (stream.write(data)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}
