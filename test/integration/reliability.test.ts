// The reliability suite's bounded form (`npm run reliability -- --bounded`): workers killed after a submit whose answer
// was lost, during the lane's submit, during compensation and during the cancel of a waiting job, the Temporal
// server and the stand-in restarted, a 5xx burst, a failed job, a full disk and ten pipelines under failing provider
// calls. No video lost, none paid twice (nor a cancelled waiting job paid at all), nothing left behind.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { installTestRuntime } from '../harness/temporal';
import { clean, runSuite, table } from '../reliability/suite';

describe('reliability (bounded)', () => {
  it('survives every fault with no loss, no double bill and no leftover', async () => {
    installTestRuntime();
    const rows = await runSuite({ bounded: true, log: () => undefined });
    console.log(table(rows).replace(/^/gm, '# '));
    assert.ok(rows.length >= 11, `${rows.length} scenarios`);
    assert.ok(clean(rows), 'a video was lost, paid twice, or left something behind, or a fault was never injected (see the table)');
    for (const r of rows) assert.equal(r.completed + r.failedAsExpected, r.runs, r.scenario);
    assert.match(rows.find((r) => r.scenario === 'disk-full')?.notes ?? '', /worker survived the full disk/);
    assert.match(rows.find((r) => r.scenario === 'kill-in-submit')?.notes ?? '', /the lane adopted 1 job/);
  });
});
