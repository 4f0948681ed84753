// Several `vsr worker` processes, each with its own working folder (as on separate hosts), on one Temporal
// server and one provider account, running one batch from object storage to object storage. Shared by the
// integration test (a CI-sized batch) and the benchmark script (100 videos, with figures).
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { batchIdFor } from '../../client';
import { makeSampleVideo } from '../../app/embedded/sample';
import { METRICS } from '../../workflows/metrics';
import { LANE_WORKFLOW_TYPE } from '../../workflows/submitLaneContract';
import { freeLoopbackPort } from '../../workers/telemetry/runtime';
import { ossFor } from './localcloudClients';
import { metric, scrape } from './prometheus';
import { until, workerProcess, type TestStack } from './stack';

export interface MultiWorkerRun {
  videos: number;
  done: number;
  failed: number;
  elapsedMs: number;
  /** The provider's billing count for this batch. */
  billed: number;
  /** vsr_billable_jobs_total summed over the workers' /metrics. */
  billedByMetrics: number;
  /** Submits the provider throttled (its per-account limit), summed over the workers' /metrics. */
  throttledSubmits: number;
  /** Activities each worker completed (from its log lines). */
  activitiesPerWorker: number[];
  /** The submit lane's SuperResolveVideo attempts each worker ran (from its log lines). */
  laneSubmitsPerWorker: number[];
  /** Pairs of lane submits, across all workers, whose running times overlapped (from the log lines' time and duration). */
  overlappingLaneSubmits: number;
  /** Lane attempts whose answer was lost (reconciled), and replies adopting a job found by listing, from /metrics. */
  ambiguousByMetrics: number;
  adoptedByMetrics: number;
  /** Submit lane executions: distinct workflow ids and runs (continue-as-new) the server knows, and those still open. */
  lanes: { ids: number; runs: number; open: number };
  outputs: string[];
  /** CPU seconds each worker process used during the batch (start-up excluded), ffprobe children included (Linux /proc). */
  cpuSecondsPerWorker: number[];
  /** Peak resident memory of each worker process, MiB. */
  peakRssMiBPerWorker: number[];
  /** Files left in the workers' working folders (partial downloads). */
  leftovers: string[];
}

interface LogRecord {
  time: string;
  msg: string;
  activityType?: string;
  durationMs?: number;
}

/** JSON log lines from a child's output, which arrives in chunks that may split a line. */
function lineReader(onRecord: (r: LogRecord) => void): (text: string) => void {
  let rest = '';
  return (text) => {
    const lines = (rest + text).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines)
      if (line.startsWith('{'))
        try {
          onRecord(JSON.parse(line) as LogRecord);
        } catch {
          // not one of the worker's JSON lines
        }
  };
}

/** Pairs of [start, end] intervals that overlap (sorted by start, each compared with the latest end before it). */
function overlaps(intervals: Array<[number, number]>): number {
  let n = 0;
  let latestEnd = -Infinity;
  for (const [start, end] of [...intervals].sort((a, b) => a[0] - b[0])) {
    if (start < latestEnd) n++;
    latestEnd = Math.max(latestEnd, end);
  }
  return n;
}

/** CPU seconds (own + waited-for children) and peak RSS of a live process, from /proc. */
function usage(pid: number): { cpuSeconds: number; peakRssMiB: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime, stime, cutime, cstime are fields 14-17 (1-based) of /proc/PID/stat; fields[0] here is field 3.
  const ticks = fields.slice(11, 15).reduce((n, f) => n + Number(f), 0);
  const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return { cpuSeconds: ticks / 100, peakRssMiB: Math.round(Number(hwm ?? 0) / 1024) };
}

export async function runMultiWorkerBatch(
  stack: TestStack,
  o: {
    videos: number;
    workers: number;
    submitsPerSecond: number;
    /** Share of submit answers the stand-in drops. */ lostAnswerRate?: number;
  },
): Promise<MultiWorkerRun> {
  const oss = ossFor(stack.cloud);
  const bucket = stack.cloud.bucket;
  const clip = await makeSampleVideo(path.join(stack.dir, 'clip.mp4'), { width: 480, height: 360, seconds: 1, audio: false });
  for (let i = 0; i < o.videos; i++) await oss.put(bucket, `incoming/v${String(i).padStart(3, '0')}.mp4`, clip);

  const children: ChildProcess[] = [];
  const completed: number[] = [];
  const laneSubmits: number[] = [];
  const submitIntervals: Array<[number, number]> = [];
  const urls: string[] = [];
  const workDirs: string[] = [];
  try {
    for (let w = 0; w < o.workers; w++) {
      const url = `127.0.0.1:${await freeLoopbackPort()}`;
      const workDir = path.join(stack.dir, `host-${w}`, 'work');
      completed.push(0);
      laneSubmits.push(0);
      urls.push(`http://${url}`);
      workDirs.push(workDir);
      const env = {
        VSR_WORK_DIR: workDir,
        VSR_HOME: path.join(stack.dir, `host-${w}`),
        VSR_METRICS_ADDRESS: url,
        VSR_SUBMITS_PER_SECOND: String(o.submitsPerSecond),
      };
      const onRecord = (r: LogRecord) => {
        if (r.msg !== 'activity completed') return;
        completed[w] += 1;
        if (r.activityType !== 'submitToProvider' && r.activityType !== 'submitInOrder') return;
        // The log line is written as the attempt ends; it started durationMs (rounded to 1 ms) before.
        const end = Date.parse(r.time);
        submitIntervals.push([end - (r.durationMs ?? 0) + 1, end]);
      };
      children.push(workerProcess(stack, env, lineReader(onRecord)));
    }
    for (const url of urls)
      await until(`worker ${url} ready`, async () => ((await fetch(`${url}/readyz`)).ok ? true : undefined), 60_000, 200);

    const atStart = children.map((c) => usage(c.pid as number));
    const billedBefore = stack.cloud.billableJobs();
    stack.cloud.faults.dropSubmitResponseRate = o.lostAnswerRate ?? 0;
    const manifest = { kind: 'oss' as const, bucket, prefix: 'incoming/' };
    const output = { kind: 'oss' as const, bucket, prefix: 'incoming.x2/' };
    const started = Date.now();
    const handle = await stack.vsr.startBatch({ batchId: batchIdFor(manifest, output), manifest, output, concurrency: 20, bitRateMbps: 2 });
    const summary = await stack.vsr.batchResult(handle.workflowId);
    const elapsedMs = Date.now() - started;
    stack.cloud.faults.dropSubmitResponseRate = 0;

    let billedByMetrics = 0;
    let throttledSubmits = 0;
    let adoptedByMetrics = 0;
    let ambiguousByMetrics = 0;
    for (const url of urls) {
      const samples = await scrape(url);
      billedByMetrics += metric(samples, METRICS.billableJobs);
      throttledSubmits += metric(samples, METRICS.providerThrottled, { action: 'SuperResolveVideo' });
      adoptedByMetrics += metric(samples, METRICS.laneReplies, { outcome: 'adopted' });
      ambiguousByMetrics += metric(samples, METRICS.laneAttempts, { outcome: 'ambiguous' });
      // Sends, not lane calls: one submitInOrder call sends several.
      laneSubmits[urls.indexOf(url)] = metric(samples, METRICS.providerCalls, { action: 'SuperResolveVideo' });
    }
    const lanes = { ids: 0, runs: 0, open: 0 };
    const ids = new Set<string>();
    for await (const e of stack.env.client.workflow.list({ query: `WorkflowType = '${LANE_WORKFLOW_TYPE}'` })) {
      ids.add(e.workflowId);
      lanes.runs += 1;
      if (e.status.name === 'RUNNING') lanes.open += 1;
    }
    lanes.ids = ids.size;
    const used = children.map((c) => usage(c.pid as number));
    const leftovers = workDirs.flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d).map((f) => path.join(d, f)) : []));
    return {
      videos: o.videos,
      done: summary.done,
      failed: summary.failed,
      elapsedMs,
      billed: stack.cloud.billableJobs() - billedBefore,
      billedByMetrics,
      throttledSubmits,
      activitiesPerWorker: completed,
      laneSubmitsPerWorker: laneSubmits,
      overlappingLaneSubmits: overlaps(submitIntervals),
      ambiguousByMetrics,
      adoptedByMetrics,
      lanes,
      outputs: (await oss.list(bucket, 'incoming.x2/')).map((e) => e.key).filter((k) => k.endsWith('.x2.mp4')),
      leftovers,
      cpuSecondsPerWorker: used.map((u, i) => Math.round(100 * (u.cpuSeconds - atStart[i].cpuSeconds)) / 100),
      peakRssMiBPerWorker: used.map((u) => u.peakRssMiB),
    };
  } finally {
    for (const c of children) c.kill('SIGKILL');
  }
}
