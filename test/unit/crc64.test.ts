import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { crc64, crc64Combine } from '../../localcloud/oss/crc64';

describe("the stand-in's CRC-64", () => {
  it('matches the published check value of CRC-64/XZ', () => {
    assert.equal(BigInt(crc64(Buffer.from('123456789'))).toString(16), '995dc9bbdf1939fa');
  });

  it('combines the CRCs of two pieces into the CRC of both, for any lengths', () => {
    for (const [a, b] of [
      [0, 0],
      [1, 0],
      [0, 7],
      [1, 1],
      [13, 8],
      [1000, 4096],
      [65_537, 300_001],
    ]) {
      const x = randomBytes(a);
      const y = randomBytes(b);
      assert.equal(crc64Combine(crc64(x), crc64(y), b), crc64(Buffer.concat([x, y])), `${a} + ${b} bytes`);
    }
  });

  it('combines many parts in order, as a multipart upload does', () => {
    const parts = [5, 100_000, 3, 77_777].map((n) => randomBytes(n));
    const combined = parts.reduce((crc, p) => crc64Combine(crc, crc64(p), p.length), crc64(new Uint8Array(0)));
    assert.equal(combined, crc64(Buffer.concat(parts)));
  });
});
