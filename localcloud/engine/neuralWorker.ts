// Runs the super-resolution model off the main thread: onnxruntime-node's run() blocks its thread for
// the whole inference, and the main thread must keep the decoder and encoder pipes flowing meanwhile.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

export interface WorkerSetup {
  modelPath: string;
  threads: number;
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
const ch = Math.ceil(h / 2);
const sessionReady = ort.InferenceSession.create(setup.modelPath, {
  intraOpNumThreads: setup.threads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  // Buffers sized per run instead of a growing arena: a 1920x1080 input's feature maps are ~130 MB each.
  enableCpuMemArena: false,
  // No busy-waiting between inferences: the encoder needs those cycles (measured faster on 2 cores).
  extra: { session: { intra_op: { allow_spinning: '0' } } },
});

// One inference at a time, in arrival order. 'stop' skips what is still queued and answers 'stopped'
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
  const session = await sessionReady;
  const y = new ort.Tensor('uint8', frame.subarray(0, w * h), [1, 1, h, w]);
  const uv = new ort.Tensor('uint8', frame.subarray(w * h, w * h + 2 * cw * ch), [1, 2, ch, cw]);
  const r = await session.run({ y, uv });
  const y2 = r.y2.data as Uint8Array;
  const uv2 = r.uv2.data as Uint8Array;
  // Output chroma planes are w x h (2w/2 x 2h/2); the resized ones are 2cw x 2ch, one wider/taller when w/h is odd.
  const out = new Uint8Array(4 * w * h + 2 * w * h);
  out.set(y2, 0);
  if (2 * cw === w && 2 * ch === h) {
    out.set(uv2, 4 * w * h);
  } else {
    let o = 4 * w * h;
    for (let plane = 0; plane < 2; plane++) {
      for (let row = 0; row < h; row++) {
        const start = plane * 4 * cw * ch + row * 2 * cw;
        out.set(uv2.subarray(start, start + w), o);
        o += w;
      }
    }
  }
  port!.postMessage({ id, frame: out }, [out.buffer]);
}
