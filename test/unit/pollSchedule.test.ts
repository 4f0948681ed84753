import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_POLL_SCHEDULE, pollDelayMs } from '../../workflows/pollSchedule';

describe('poll schedule', () => {
  const s = { initialMs: 1000, factor: 2, capMs: 10_000, jitter: 0.2 };
  it('backs off exponentially without jitter at the midpoint', () => {
    assert.deepEqual(
      [0, 1, 2, 3].map((n) => pollDelayMs(n, 0.5, s)),
      [1000, 2000, 4000, 8000],
    );
  });
  it('never exceeds the cap, even with jitter', () => {
    for (let n = 0; n < 50; n++) for (const r of [0, 0.5, 0.999]) assert.ok(pollDelayMs(n, r, s) <= s.capMs);
    assert.equal(pollDelayMs(40, 0.5, s), 10_000);
  });
  it('spreads delays by the jitter share either way', () => {
    assert.equal(pollDelayMs(1, 0, s), 1600);
    assert.equal(Math.round(pollDelayMs(1, 0.9999999, s)), 2400);
  });
  it('has sane defaults: first poll within seconds, cap at a minute', () => {
    assert.ok(pollDelayMs(0, 0.5) <= 5000);
    assert.equal(pollDelayMs(100, 0.5), DEFAULT_POLL_SCHEDULE.capMs);
  });
});
