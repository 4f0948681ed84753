// `npm run bench`: every benchmark, each in its own process, then docs/benchmarks.json and docs/benchmarks.md.
// `npm run bench -- --quick` is the small form CI runs so the benchmarks keep working (written to a temp folder
// unless --out says otherwise); `--only overhead,polling` runs some of them and keeps the others' earlier sections.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runScript } from '../harness/stack';
import { describeMachine, type BenchReport } from './common';
import { renderMarkdown } from './report';

const BENCHES = ['overhead', 'polling', 'throughput', 'streaming'] as const;
const DOCS = path.join(__dirname, '..', '..', '..', 'docs');
/** A benchmark that runs longer than this has hung (the quick forms take a minute or two each). */
const LIMIT_MS = { full: 20 * 60_000, quick: 6 * 60_000 };

function flag(argv: string[], name: string): string | undefined {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
}

/** Runs one benchmark file; its output is kept and shown only if it fails. */
function runOne(id: string, quick: boolean, json: string): Promise<{ ok: boolean; log: string }> {
  return new Promise((resolve) => {
    const args = [path.join(__dirname, `${id}.js`), '--json', json, ...(quick ? ['--quick'] : [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const keep = (d: Buffer) => {
      log = (log + d.toString()).slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGTERM'), quick ? LIMIT_MS.quick : LIMIT_MS.full);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, log });
    });
  });
}

runScript(async () => {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const only = flag(argv, '--only')?.split(',');
  const out = flag(argv, '--out') ?? (quick ? path.join(os.tmpdir(), 'vsr-bench-quick') : DOCS);
  const ids = BENCHES.filter((b) => !only || only.includes(b));
  await fs.promises.mkdir(out, { recursive: true });
  const scratch = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'vsr-bench-run-'));
  const machine = describeMachine();
  const reports: BenchReport[] = [];
  const failures: string[] = [];
  try {
    for (const id of ids) {
      const t0 = Date.now();
      process.stderr.write(`[bench] ${id}${quick ? ' (quick)' : ''} ... `);
      const json = path.join(scratch, `${id}.json`);
      const { ok, log } = await runOne(id, quick, json);
      if (!ok) {
        process.stderr.write(`failed\n${log}\n`);
        failures.push(id);
        continue;
      }
      const report = JSON.parse(await fs.promises.readFile(json, 'utf8')) as BenchReport;
      reports.push(report);
      const held = report.targets.filter((t) => t.holds).length;
      process.stderr.write(`${Math.round((Date.now() - t0) / 1000)} s, targets held ${held}/${report.targets.length}\n`);
    }
  } finally {
    await fs.promises.rm(scratch, { recursive: true, force: true });
  }
  // `--only` into the published file: the benchmarks not rerun keep their earlier sections (each says when it ran).
  if (only && !quick) {
    const earlier = await fs.promises.readFile(path.join(out, 'benchmarks.json'), 'utf8').then(
      (text) => (JSON.parse(text) as { reports: BenchReport[] }).reports,
      () => [],
    );
    const kept = earlier.filter((r) => !ids.includes(r.id as (typeof BENCHES)[number]));
    reports.splice(0, reports.length, ...BENCHES.flatMap((id) => [...reports, ...kept].filter((r) => r.id === id)));
  }
  const finished = { ...machine, loadAverageAfter: os.loadavg().map((l) => Math.round(l * 100) / 100) };
  await fs.promises.writeFile(
    path.join(out, 'benchmarks.json'),
    `${JSON.stringify({ machine: finished, quick, reports, failures }, null, 2)}\n`,
  );
  const md = renderMarkdown(finished, reports, failures, quick);
  await fs.promises.writeFile(path.join(out, 'benchmarks.md'), md);
  process.stderr.write(`[bench] wrote ${path.join(out, 'benchmarks.md')} and benchmarks.json\n`);
  if (quick) process.stdout.write(md);
  if (failures.length) throw new Error(`benchmarks failed: ${failures.join(', ')}`);
});
