// The reliability suite: real process faults (SIGKILL of a worker in each stage and during compensation, the Temporal
// server and the stand-in restarted on their data) and the stand-in's fault injection (5xx and throttling bursts and
// brownouts, lost submit responses, failed jobs, expired result URLs, cut downloads, a full disk, load with failing
// calls). It prints one table and fails when any video is lost, paid twice, or leaves something behind.
//   npm run reliability                 the whole suite
//   npm run reliability -- --bounded    the CI form (fewer scenarios and runs)
//   npm run reliability -- kill-upload  chosen scenarios
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { probe } from '../../activities/media';
import { makeSampleVideo } from '../../app/embedded/sample';
import type { Destination, SuperResolveInput, SuperResolveResult } from '../../workflows/contract';
import { innermostCause } from '../../workflows/failureMessage';
import { SUBMIT_REPLY_SIGNAL, type SubmitReply } from '../../workflows/submitLaneContract';
import { SCENARIOS, type Scenario, type ScenarioContext } from './scenarios';
import { ReliabilityStack, type WorkerHandle } from './stack';

export interface Row {
  scenario: string;
  runs: number;
  completed: number;
  failedAsExpected: number;
  lost: number;
  extraBillable: number;
  leftovers: number;
  recoverSeconds: number;
  /** The fault was never injected (its moment never came): the row proves nothing, so the suite fails. */
  faultMissed: boolean;
  notes: string;
}

type Outcome =
  | { kind: 'completed'; result: SuperResolveResult; at: number }
  | { kind: 'failed'; type: string; message: string; at: number }
  | { kind: 'lost'; at: number; why: string };

export interface Samples {
  small: string;
  large: string;
}

/** A workflow's end, riding out the client's connection errors while the server restarts. */
async function outcome(stack: ReliabilityStack, id: string, deadline: number): Promise<Outcome> {
  for (;;) {
    try {
      const result = await stack.vsr.result(id);
      return { kind: 'completed', result, at: Date.now() };
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        const cause = innermostCause(err);
        const type =
          err.cause instanceof CancelledFailure || cause?.name === 'CancelledFailure'
            ? 'Cancelled'
            : (cause?.type ?? cause?.name ?? 'Unknown');
        return { kind: 'failed', type, message: cause?.message ?? '', at: Date.now() };
      }
      if (Date.now() > deadline) return { kind: 'lost', at: Date.now(), why: `no end by the deadline (${String(err)})` };
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** A completed run counts only with its output really there: the right size, as the result says. */
async function verified(stack: ReliabilityStack, destination: Destination, r: SuperResolveResult): Promise<boolean> {
  if (destination.kind === 'oss') return stack.cloud.objects.exists(destination.bucket, destination.key) && r.width === 1280;
  const facts = await probe(destination.path).catch(() => undefined);
  return Boolean(facts && facts.width === r.width && facts.height === r.height && facts.sizeBytes === r.sizeBytes && r.width === 1280);
}

/** What vsr left behind: temporary objects, unfinished multipart uploads, partial and stray files. */
async function leftovers(stack: ReliabilityStack, outDir: string, expectedFiles: Set<string>): Promise<number> {
  const objects = stack.cloud.objects.list(stack.cloud.bucket, 'vsr-tmp/').length;
  const uploads = (await stack.cloud.objects.listUploads(stack.cloud.bucket)).length;
  const work = path.join(stack.dir, 'work');
  const workFiles = fs.existsSync(work) ? fs.readdirSync(work).length : 0;
  const stray = fs.readdirSync(outDir).filter((f) => !expectedFiles.has(f)).length;
  return objects + uploads + workFiles + stray;
}

/** The lane's replies to a run that named a job found in the job list after a lost answer (not seen accepted). */
async function adoptedReplies(stack: ReliabilityStack, id: string): Promise<number> {
  const history = await stack.vsr.client.workflow.getHandle(id).fetchHistory();
  return (history.events ?? []).filter((e) => {
    const s = e.workflowExecutionSignaledEventAttributes;
    if (s?.signalName !== SUBMIT_REPLY_SIGNAL || !s.input?.payloads?.[0]) return false;
    const reply = defaultPayloadConverter.fromPayload<SubmitReply>(s.input.payloads[0]);
    return 'jobId' in reply && reply.adopted === true;
  }).length;
}

async function runScenario(
  stack: ReliabilityStack,
  sc: Scenario,
  runs: number,
  samples: Samples,
  baselineSeconds: number,
  worker: { current: WorkerHandle },
): Promise<Row> {
  stack.resetFaults();
  const outDir = path.join(stack.dir, 'out', sc.name);
  fs.mkdirSync(outDir, { recursive: true });
  const billedBefore = stack.cloud.billableJobs();
  const inputs: SuperResolveInput[] = [];
  const notes: string[] = [];
  const ctx: ScenarioContext = {
    stack,
    samples,
    ids: [],
    notes,
    get worker() {
      return worker.current;
    },
    async restartWorker(extra) {
      await stack.killWorker(worker.current);
      worker.current = stack.startWorker(extra);
    },
  };
  await sc.before?.(ctx);
  const started = Date.now();
  for (let i = 0; i < runs; i++) {
    const input: SuperResolveInput = {
      source: { kind: 'local', path: samples.small },
      destination: { kind: 'local', path: path.join(outDir, `video-${i}.mp4`) },
      bitRateMbps: 3,
      ...sc.input?.(i, ctx),
    };
    inputs.push(input);
    ctx.ids.push((await stack.vsr.start(input, { key: `${sc.name}-${i}-${started}` })).workflowId);
  }
  const deadline = started + (sc.timeoutSeconds ?? 600) * 1000;
  let faultMissed = false;
  const during = sc.during
    ? sc.during(ctx).catch((err: unknown) => {
        faultMissed = true;
        notes.push(`fault injection failed: ${String(err)}`);
      })
    : undefined;
  const outcomes = await Promise.all(ctx.ids.map((id) => outcome(stack, id, deadline)));
  await during;
  await sc.after?.(ctx);
  stack.resetFaults();

  let completed = 0;
  let failedAsExpected = 0;
  let intended = 0;
  const expectedFiles = new Set<string>();
  let adopted = 0;
  for (const [i, o] of outcomes.entries()) {
    const p = await stack.vsr.progress(ctx.ids[i]).catch(() => undefined);
    intended += p?.submits ?? 0;
    adopted += await adoptedReplies(stack, ctx.ids[i]);
    if (o.kind === 'completed' && (await verified(stack, inputs[i].destination, o.result))) {
      completed += 1;
      if (inputs[i].destination.kind === 'local') expectedFiles.add(path.basename(inputs[i].destination.path));
    } else if (o.kind === 'failed' && o.type === sc.expect) failedAsExpected += 1;
    else
      notes.push(
        `${ctx.ids[i]}: ${o.kind === 'failed' ? `failed with ${o.type} (${o.message.slice(0, 160)})` : o.kind === 'lost' ? o.why : 'output not verified'}`,
      );
  }
  if (adopted > 0) notes.push(`the lane adopted ${adopted} job(s) whose submit answer was lost`);
  const end = Math.max(...outcomes.map((o) => o.at));
  const recoverSeconds = ctx.faultAt ? (end - ctx.faultAt) / 1000 : (end - started) / 1000 - baselineSeconds;
  return {
    scenario: sc.name,
    runs,
    completed,
    failedAsExpected,
    lost: runs - completed - failedAsExpected,
    extraBillable: stack.cloud.billableJobs() - billedBefore - (intended - (sc.unbilled ?? 0) * runs),
    leftovers: (await leftovers(stack, outDir, expectedFiles)) + (ctx.extraLeftovers ?? 0),
    recoverSeconds: Math.max(0, Math.round(recoverSeconds * 10) / 10),
    faultMissed,
    notes: notes.join('; '),
  };
}

export function table(rows: Row[]): string {
  const head = [
    'scenario',
    'runs',
    'completed',
    'failed as expected',
    'videos lost',
    'billable beyond intended',
    'leftovers',
    'time to recover (s)',
  ];
  const cells = rows.map((r) =>
    [r.scenario, r.runs, r.completed, r.failedAsExpected, r.lost, r.extraBillable, r.leftovers, r.recoverSeconds].map(String),
  );
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join(' | ')} |`;
  const notes = rows.filter((r) => r.notes).map((r) => `  ${r.scenario}: ${r.notes}`);
  return [
    line(head),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...cells.map(line),
    ...(notes.length ? ['', 'notes:', ...notes] : []),
  ].join('\n');
}

/** Runs the chosen scenarios on one stack; returns their rows (the first is the fault-free baseline). */
export async function runSuite(o: { bounded: boolean; only?: string[]; log?: (line: string) => void }): Promise<Row[]> {
  const log = o.log ?? ((l: string) => console.error(l));
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'vsr-reliability-'));
  const stack = await ReliabilityStack.start(dir);
  const worker = { current: stack.startWorker() };
  const rows: Row[] = [];
  try {
    const samples: Samples = {
      small: await makeSampleVideo(path.join(dir, 'small.mp4'), { width: 640, height: 360, seconds: 1 }),
      large: await makeSampleVideo(path.join(dir, 'large.mp4'), { width: 640, height: 360, seconds: 6, bitRateMbps: 4 }),
    };
    const chosen = SCENARIOS.filter(
      (s) => s.name === 'baseline' || (o.only?.length ? o.only.includes(s.name) : !o.bounded || s.bounded !== undefined),
    );
    let baseline = 0;
    for (const sc of chosen) {
      const runs = o.bounded ? (sc.bounded ?? 1) : sc.runs;
      log(`[reliability] ${sc.name}: ${runs} run(s)`);
      const row = await runScenario(stack, sc, runs, samples, baseline, worker);
      if (sc.name === 'baseline') baseline = row.recoverSeconds; // the fault-free time of one job
      rows.push(row);
      log(
        `[reliability] ${sc.name}: ${row.completed} completed, ${row.failedAsExpected} failed as expected, ${row.lost} lost, ${row.extraBillable} extra billed, ${row.leftovers} left over, ${row.recoverSeconds} s${row.notes ? ` (${row.notes})` : ''}`,
      );
    }
  } finally {
    await stack.close();
    await fs.promises.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
  return rows;
}

/** True when no video was lost, paid for twice or left something behind. */
export function clean(rows: Row[]): boolean {
  return rows.every((r) => r.lost === 0 && r.extraBillable === 0 && r.leftovers === 0 && !r.faultMissed);
}

if (require.main === module) {
  const args = process.argv.slice(2);
  runSuite({ bounded: args.includes('--bounded'), only: args.filter((a) => !a.startsWith('--')) }).then(
    (rows) => {
      console.log(table(rows));
      process.exit(clean(rows) ? 0 : 1);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(2);
    },
  );
}
