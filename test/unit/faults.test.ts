import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyFaults, defaultFaults } from '../../localcloud/faults';
import { ControlledClock } from '../../localcloud/clock';
import { RateLimiter } from '../../localcloud/rateLimiter';

describe('fault settings', () => {
  it('merges known faults and rejects unknown or out-of-range ones by name', () => {
    const f = applyFaults(defaultFaults(), { viapiThrottleRate: 0.5, nextJobOutcomes: ['TIMEOUT_FAILED'] });
    assert.equal(f.viapiThrottleRate, 0.5);
    assert.deepEqual(f.nextJobOutcomes, ['TIMEOUT_FAILED']);
    assert.throws(() => applyFaults(f, { nope: 1 }), /unknown fault "nope"/);
    assert.throws(() => applyFaults(f, { viapiThrottleRate: 2 }), /viapiThrottleRate is a share/);
    assert.throws(() => applyFaults(f, { jobDelayMs: -1 }), /jobDelayMs must be a number >= 0/);
    assert.throws(() => applyFaults(f, { nextJobOutcomes: ['PROCESS_SUCCESS'] }), /nextJobOutcomes/);
  });
});

describe('controlled clock', () => {
  it('moves forward only', () => {
    const c = new ControlledClock();
    const t = c.now();
    c.advance(60_000);
    assert.ok(c.now() - t >= 60_000);
    assert.throws(() => c.advance(-1), /forward/);
  });
});

describe('submit rate limiter', () => {
  it('allows the per-second budget, refills over time, per key', () => {
    const r = new RateLimiter(2);
    assert.deepEqual([r.take('a', 0), r.take('a', 0), r.take('a', 0)], [true, true, false]);
    assert.equal(r.take('b', 0), true);
    assert.equal(r.take('a', 500), true);
    assert.equal(r.take('a', 500), false);
  });
  it('0 disables the limit', () => assert.ok([1, 2, 3, 4].every(() => new RateLimiter(0).take('a'))));
});
