#!/usr/bin/env node
// Runs every compiled test file with Node's built-in runner in two lanes side by side: the integration files one
// at a time (each starts its own Temporal dev server; 2 cores do not fit several at once, and most of their time
// is spent waiting on real timeouts), and everything else (unit, replay, workflow tests) one at a time beside them.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', 'dist', 'test');
const only = process.argv.slice(2);
function collect(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return collect(p);
    return e.name.endsWith('.test.js') ? [p] : [];
  });
}
let files = collect(root).sort();
if (only.length) files = files.filter((f) => only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error('no test files found under dist/test (did the build run?)');
  process.exit(1);
}

const integration = path.join(root, 'integration') + path.sep;
const lanes = [files.filter((f) => f.startsWith(integration)), files.filter((f) => !f.startsWith(integration))].filter((l) => l.length);

// A test that waits for ever fails after its limit, naming itself, and a file whose tests are done exits even if
// something it started still holds the event loop: CI reports a failure instead of hanging. The limit is per test,
// so only the quick lane gets one (an integration test may legitimately run for minutes).
const QUICK_TEST_LIMIT_MS = 180_000;

/** One lane: the first streams its output live; the others hold theirs back, printed whole at the end. */
function runLane(laneFiles, live) {
  const limit = laneFiles[0].startsWith(integration) ? [] : [`--test-timeout=${QUICK_TEST_LIMIT_MS}`];
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--test', '--test-concurrency=1', '--test-force-exit', ...limit, '--test-reporter=spec', ...laneFiles],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let held = '';
    let text = '';
    const take = (stream) => (d) => {
      text += d.toString();
      if (live) stream.write(d);
      else held += d.toString();
    };
    child.stdout.on('data', take(process.stdout));
    child.stderr.on('data', take(process.stderr));
    child.on('close', (code) => {
      const count = (name) => Number(new RegExp(`^ℹ ${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
      resolve({ code: code ?? 1, passed: count('pass'), failed: count('fail'), held });
    });
  });
}

Promise.all(lanes.map((l, i) => runLane(l, i === 0))).then((results) => {
  for (const r of results) process.stdout.write(r.held);
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
});
