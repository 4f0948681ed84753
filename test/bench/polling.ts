// Polling cost: how many polls a job costs and how late vsr notices it finished, for jobs of about 10 s, 2 min and
// 20 min. The real superResolveVideo workflow runs on Temporal's time-skipping test server (its timers, jitter and
// schedule are the product's own); the provider is a stub whose jobs finish at a time set on the server's clock,
// and the job-time estimates come from the product's learner (activities/jobTimes.ts), taught by earlier jobs.
// Baselines from the same job times: today's back-off (the same workflow, no estimate), a fixed-interval poller
// given vsr's poll budget, and an oracle that polls once, at the finish.
// `npm run build && node dist/test/bench/polling.js [--quick]`
import { randomUUID } from 'node:crypto';
import { makeJobTimes, JobTimeModel } from '../../activities/jobTimes';
import type { Activities } from '../harness/workflowEnv';
import { startTimeSkipping, StubWorkers } from '../harness/workflowEnv';
import { replyFromLane, SOURCE_FACTS, validated } from '../harness/fakeActivities';
import { benchMain, mean, measured, round, type BenchOptions, type BenchReport, type Row } from './common';

/** The provider's speed in the model: 2 s per second of 640x360 video, varying job to job (log-normal, sigma 0.15). */
const MS_PER_VIDEO_SECOND = 2000;
const SIGMA = 0.15;
const CASES = [
  { label: '10 s', videoSeconds: 5 },
  { label: '2 min', videoSeconds: 60 },
  { label: '20 min', videoSeconds: 600 },
];

/** A seeded normal variate (Box-Muller over a linear congruential source), so runs compare like for like. */
function normals(seed: number): () => number {
  let x = seed;
  const uniform = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return (x + 1) / 2147483649;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

interface JobOutcome {
  jobMs: number;
  polls: number;
  delayMs: number;
}

/** The fixed interval that spends `polls` polls per job on average over these job times, and what it achieves. */
function fixedInterval(jobMs: number[], polls: number): { intervalMs: number; polls: number; delayMs: number } {
  const cost = (i: number) => mean(jobMs.map((t) => Math.ceil(t / i)));
  let lo = 1;
  let hi = Math.max(...jobMs) * 2;
  for (let k = 0; k < 60; k++) {
    const mid = (lo + hi) / 2;
    if (cost(mid) > polls) lo = mid;
    else hi = mid;
  }
  return { intervalMs: hi, polls: cost(hi), delayMs: mean(jobMs.map((t) => Math.ceil(t / hi) * hi - t)) };
}

export function run(o: BenchOptions): Promise<BenchReport> {
  const samples = o.quick ? 2 : 12;
  const warmUp = o.quick ? 1 : 3;
  return measured('polling', 'Polling cost', async () => {
    const env = await startTimeSkipping();
    const workers = await StubWorkers.start(env);
    const model = new JobTimeModel();
    const jobs = new Map<string, { submittedAt: number; jobMs: number; polls: number; noticedAt?: number }>();
    const normal = normals(42);
    try {
      /** One job through the real workflow; `learned`: with the worker's estimates, else today's back-off. */
      const runJob = async (videoSeconds: number, jobMs: number, learned: boolean): Promise<JobOutcome> => {
        const jobTimes = makeJobTimes(model);
        const stubs: Partial<Activities> = {
          validateInput: async () => ({
            ...validated({ kind: 'url', url: 'https://videos.example/in.mp4' }),
            facts: { ...SOURCE_FACTS, durationSeconds: videoSeconds },
          }),
          requestSubmit: async (request) => {
            const jobId = randomUUID();
            jobs.set(jobId, { submittedAt: await env.currentTimeMs(), jobMs, polls: 0 });
            await replyFromLane(request, { requestId: request.requestId, jobId });
          },
          pollJob: async ({ jobId }) => {
            const job = jobs.get(jobId)!;
            const now = await env.currentTimeMs();
            job.polls += 1;
            if (now < job.submittedAt + job.jobMs) return { status: 'PROCESSING' };
            job.noticedAt = now;
            return { status: 'PROCESS_SUCCESS' };
          },
          downloadResult: async (input) => ({
            sizeBytes: 1,
            sha256: '0'.repeat(64),
            facts: { ...SOURCE_FACTS, width: input.expectedWidth, height: input.expectedHeight },
          }),
          removeTemporaryObjects: async () => ({ objects: 0, uploads: 0, skipped: 0 }),
          estimateJobTime: learned ? jobTimes.estimateJobTime : async () => ({ estimateMs: undefined }),
          recordJobTime: jobTimes.recordJobTime,
        };
        const result = await workers.run(stubs, async (taskQueue) => {
          const handle = await env.client.workflow.start('superResolveVideo', {
            taskQueue,
            workflowId: `poll-bench-${randomUUID()}`,
            args: [{ source: { kind: 'url', url: 'https://videos.example/in.mp4' }, destination: { kind: 'local', path: '/tmp/out.mp4' } }],
          });
          return (await handle.result()) as { jobId: string };
        });
        const job = jobs.get(result.jobId)!;
        return { jobMs, polls: job.polls, delayMs: (job.noticedAt as number) - (job.submittedAt + jobMs) };
      };

      const rows: Row[] = [];
      const targets: BenchReport['targets'] = [];
      const data: Record<string, unknown> = {};
      for (const c of CASES) {
        const jobMsFor = () => Math.round(c.videoSeconds * MS_PER_VIDEO_SECOND * Math.exp(SIGMA * normal()));
        for (let i = 0; i < warmUp; i++) await runJob(c.videoSeconds, jobMsFor(), true);
        const times = Array.from({ length: samples }, jobMsFor);
        const learned: JobOutcome[] = [];
        const today: JobOutcome[] = [];
        for (const t of times) {
          learned.push(await runJob(c.videoSeconds, t, true));
          today.push(await runJob(c.videoSeconds, t, false));
        }
        const meanJob = mean(times);
        const polls = mean(learned.map((r) => r.polls));
        const delay = mean(learned.map((r) => r.delayMs));
        const todayPolls = mean(today.map((r) => r.polls));
        const todayDelay = mean(today.map((r) => r.delayMs));
        const fixed = fixedInterval(times, polls);
        const share = (ms: number) => `${round((100 * ms) / meanJob, 1)}%`;
        rows.push(
          {
            case: `${c.label} jobs`,
            metric: 'polls per job',
            vsr: round(polls, 1),
            baseline: `today ${round(todayPolls, 1)} / fixed ${round(fixed.polls, 1)} / oracle 1`,
            baselineLabel: "today's back-off / fixed interval / oracle",
          },
          {
            case: `${c.label} jobs`,
            metric: 'mean detection delay',
            vsr: `${round(delay / 1000, 1)} s (${share(delay)})`,
            baseline: `today ${round(todayDelay / 1000, 1)} s (${share(todayDelay)}) / fixed every ${round(fixed.intervalMs / 1000, 1)} s: ${round(fixed.delayMs / 1000, 1)} s (${share(fixed.delayMs)}) / oracle 0 s`,
            baselineLabel: "today's back-off / fixed interval / oracle",
          },
        );
        if (c.label !== '10 s')
          targets.push({
            name: `${c.label} jobs: mean detection delay <= 10% of job time, polls <= today's`,
            figure: `${share(delay)}, ${round(polls, 1)} polls (today ${round(todayPolls, 1)})`,
            holds: delay <= 0.1 * meanJob && polls <= todayPolls,
          });
        data[c.label] = { meanJobMs: meanJob, learned, today, fixed };
      }
      return {
        setup:
          `The real workflow on Temporal's time-skipping test server; the provider stub's jobs take ${MS_PER_VIDEO_SECOND / 1000} s per second of video ` +
          `with log-normal spread (sigma ${SIGMA}); vsr's estimates come from its learner after ${warmUp} warm-up job(s) per size. ` +
          `${samples} jobs per size, each also run with no estimate (today's back-off); the fixed-interval poller gets vsr's mean number of polls.`,
        rows,
        targets,
        data,
      };
    } finally {
      await workers.close();
      await env.teardown();
    }
  });
}

if (require.main === module) benchMain(run);
