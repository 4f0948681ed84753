// One upscale on the real stack yields one connected trace: the client's start, the workflow, and each of its
// activities, linked through Temporal's headers (spans caught by an in-memory exporter instead of OTLP).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Client } from '@temporalio/client';
import { VsrClient } from '../../client';
import { makeSampleVideo } from '../../app/embedded/sample';
import { startTracing, tracingClientInterceptors, type Tracing } from '../../workers/telemetry/tracing';
import { createWorkers, type VsrWorkers } from '../../workers/worker';
import { startTestStack, type TestStack } from '../harness/stack';
import { workflowBundle } from '../harness/temporal';

describe('traces', () => {
  let stack: TestStack;
  let tracing: Tracing;
  let workers: VsrWorkers;
  let running: Promise<void>;
  let vsr: VsrClient;
  const exporter = new InMemorySpanExporter();

  before(async () => {
    stack = await startTestStack('traces');
    // Registered before the client and the workers are made: they pick up the interceptors and the sink.
    tracing = startTracing({ serviceName: 'vsr-test', exporter });
    // As `vsr worker` makes it: the client the activities signal progress with is traced too.
    const client = new Client({
      connection: stack.env.connection,
      namespace: stack.config.temporal.namespace,
      interceptors: { workflow: tracingClientInterceptors() },
    });
    vsr = new VsrClient(client, stack.taskQueue);
    workers = await createWorkers({
      config: stack.config,
      connection: stack.env.nativeConnection,
      client,
      workflowBundle: await workflowBundle(),
      deps: { progressIntervalMs: 200 },
    });
    running = workers.run();
  });
  after(async () => {
    workers.shutdown();
    await running;
    await tracing.shutdown();
    await stack.close();
  });

  it('links the client, the workflow, every activity and its submit through the lane into one trace', async () => {
    const sample = await makeSampleVideo(path.join(stack.dir, 'sample.mp4'), { width: 480, height: 360, seconds: 1 });
    stack.cloud.faults.dropSubmitResponses = 1; // a lost answer: the lane lists the account's jobs for this video
    const handle = await vsr.start({
      source: { kind: 'local', path: sample },
      destination: { kind: 'local', path: path.join(stack.dir, 'out.mp4') },
    });
    await handle.result();
    await tracing.provider.forceFlush();

    const all = exporter.getFinishedSpans();
    const start = all.find((s) => s.name === 'StartWorkflow:superResolveVideo');
    assert.ok(start, 'the client start is traced');
    const spans = all.filter((s) => s.spanContext().traceId === start.spanContext().traceId);
    const names = new Set(spans.map((s) => s.name));
    for (const name of [
      'StartWorkflow:superResolveVideo',
      'RunWorkflow:superResolveVideo',
      ...['validateInput', 'uploadSource', 'requestSubmit', 'pollJob', 'downloadResult', 'removeTemporaryObjects'].flatMap((a) => [
        `StartActivity:${a}`,
        `RunActivity:${a}`,
      ]),
      // The video's turn in the account's submit lane: its request, the lane's attempt and listing, the reply.
      'SignalWithStartWorkflow:submitLane',
      'HandleSignal:submitRequest',
      'StartActivity:submitInOrder',
      'RunActivity:submitInOrder',
      'StartActivity:listProviderJobs',
      'RunActivity:listProviderJobs',
      'HandleSignal:submitReply',
    ])
      assert.ok(names.has(name), `a ${name} span in the video's trace (got ${[...names].join(', ')})`);

    // Connected: one root (the client's start), every other span's parent is in the trace.
    const ids = new Set(spans.map((s) => s.spanContext().spanId));
    const parentOf = (s: ReadableSpan) => s.parentSpanId;
    const roots = spans.filter((s) => !parentOf(s) || !ids.has(parentOf(s) as string));
    assert.deepEqual(
      roots.map((s) => s.name),
      ['StartWorkflow:superResolveVideo'],
    );
    const run = spans.find((s) => s.name === 'RunActivity:downloadResult');
    assert.equal(run?.attributes.temporalWorkflowId ?? handle.workflowId, handle.workflowId);
  });
});
