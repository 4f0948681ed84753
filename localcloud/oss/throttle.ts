// A byte-rate limiter for stream bodies: the "slow network" fault.
import { Transform } from 'node:stream';

export function throttle(bytesPerSecond: () => number): Transform {
  let started = 0;
  let sent = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      const rate = bytesPerSecond();
      if (rate <= 0) return cb(null, chunk);
      if (started === 0) started = Date.now();
      sent += chunk.length;
      const due = started + (sent / rate) * 1000;
      setTimeout(() => cb(null, chunk), Math.max(0, due - Date.now()));
    },
  });
}
