// Runs the super-resolution model off the main thread: onnxruntime-node's run() blocks its thread for
// the whole inference, and the main thread must keep the decoder and encoder pipes flowing meanwhile.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { stripRows, upscaleFrame, type RunStrip } from './strips';

export interface WorkerSetup {
  modelPath: string;
  width: number;
  height: number;
}
/** A yuv420p frame in; the 2x yuv420p frame out (same id). */
export interface FrameMessage {
  id: number;
  frame: Uint8Array;
}

const setup = workerData as WorkerSetup;
const port = parentPort;
if (!port) throw new Error('neuralWorker runs as a worker thread');

const { width: w, height: h } = setup;
const cw = Math.ceil(w / 2);
const rows = stripRows(w, h);
// One thread per worker; the engine runs one worker per core on whole frames. Two intra-op threads
// wait on each other at every layer, which on a busy machine costs more than it gains.
const sessionReady = ort.InferenceSession.create(setup.modelPath, {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
});

const run: RunStrip = async (y, uv, stripRows, chromaRows) => {
  const session = await sessionReady;
  const r = await session.run({
    y: new ort.Tensor('uint8', y, [1, 1, stripRows, w]),
    uv: new ort.Tensor('uint8', uv, [1, 2, chromaRows, cw]),
  });
  return { y2: r.y2.data as Uint8Array, uv2: r.uv2.data as Uint8Array };
};

// One frame at a time, in arrival order. 'stop' skips what is still queued and answers 'stopped'
// once no inference runs: terminating the thread during one aborts the whole process (Napi::Error).
let chain: Promise<void> = Promise.resolve();
let stopping = false;
port.on('message', (m: FrameMessage | 'stop') => {
  if (m === 'stop') {
    stopping = true;
    chain = chain.then(() => port.postMessage('stopped'));
    return;
  }
  chain = chain.then(() => (stopping ? undefined : upscale(m))).catch((err: unknown) => port.postMessage({ id: m.id, error: String(err) }));
});

async function upscale({ id, frame }: FrameMessage): Promise<void> {
  const out = await upscaleFrame(frame, w, h, rows, run);
  port!.postMessage({ id, frame: out }, [out.buffer]);
}
