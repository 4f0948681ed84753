// The stand-in's own reading of the provider and the pure pieces it is built from.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ControlledClock } from '../../localcloud/clock';
import { containerAccepted, parseBitRate, resolutionAccepted, videoUrlRefusal } from '../../localcloud/media/rules';
import { crc64 } from '../../localcloud/oss/crc64';
import { formatBeijing, parseBeijing } from '../../localcloud/viapi/actions';
import { classifyAddress } from '../../localcloud/viapi/sourceFetch';

describe("the stand-in's reading of the document", () => {
  it('resolution: short side 360..1080, long side up to 1920, either orientation', () => {
    const accepted = (w: number, h: number) => resolutionAccepted(w, h);
    assert.deepEqual(
      [
        [640, 360],
        [360, 360],
        [1920, 1080],
        [1080, 1920],
        [1920, 360],
      ].map(([w, h]) => accepted(w, h)),
      [true, true, true, true, true],
    );
    assert.deepEqual(
      [
        [640, 359],
        [359, 640],
        [1921, 1080],
        [1920, 1081],
        [1280, 1280],
        [0, 0],
      ].map(([w, h]) => accepted(w, h)),
      [false, false, false, false, false, false],
    );
  });

  it('containers: MP4/MOV but not 3GP or M4A, MKV but not WebM, and the rest of the list', () => {
    const ok = (container: string, extra: { brand?: string; docType?: string } = {}) => containerAccepted({ container, ...extra });
    assert.ok(ok('mov', { brand: 'isom' }) && ok('mov', { brand: 'qt  ' }) && ok('mov'));
    assert.ok(!ok('mov', { brand: '3gp4' }) && !ok('mov', { brand: 'M4A ' }));
    assert.ok(ok('matroska', { docType: 'matroska' }) && !ok('matroska', { docType: 'webm' }));
    assert.ok(['avi', 'flv', 'mpegts', 'mpeg', 'mxf'].every((c) => ok(c)));
    assert.ok(!['gif', 'png_pipe', 'ogg', 'wav', 'mp3'].some((c) => ok(c)));
  });

  it('BitRate: an integer from 1 to 100, 10 when absent', () => {
    assert.deepEqual(['1', '100', '', undefined].map(parseBitRate), [1, 100, 10, 10]);
    for (const bad of ['0', '101', '7.5', 'ten', '-1', '1e1']) assert.equal(typeof parseBitRate(bad), 'object', bad);
  });

  it('VideoUrl: no Chinese characters; other non-ASCII is left to the download', () => {
    assert.equal(videoUrlRefusal('http://h/视频.mp4')?.code, 'InvalidParameter');
    assert.equal(videoUrlRefusal('http://h/a，b.mp4')?.code, 'InvalidParameter', 'full-width punctuation');
    assert.equal(videoUrlRefusal('http://h/café.mp4'), undefined);
    assert.equal(videoUrlRefusal(undefined)?.code, 'MissingVideoUrl');
    assert.equal(videoUrlRefusal('file:///etc/passwd')?.code, 'InvalidParameter');
  });
});

describe('stand-in building blocks', () => {
  it('CRC-64/ECMA-182 as OSS computes it (check value of "123456789")', () => {
    assert.equal(crc64(Buffer.from('123456789')), BigInt('0x995DC9BBDF1939FA').toString());
    assert.equal(crc64(Buffer.alloc(0)), '0');
  });

  it('classifies addresses as a public provider would see them', () => {
    const cases: Record<string, string> = {
      '8.8.8.8': 'public',
      '172.32.0.1': 'public',
      '127.0.0.2': 'loopback',
      '::1': 'loopback',
      '10.1.2.3': 'private',
      '172.16.0.1': 'private',
      '192.168.1.1': 'private',
      '100.64.0.1': 'private',
      'fd00::1': 'private',
      '::ffff:10.0.0.1': 'private',
      '::ffff:a00:1': 'private',
      '169.254.169.254': 'link-local',
      'fe80::1': 'link-local',
      '0.0.0.0': 'reserved',
      '224.0.0.1': 'reserved',
      '255.255.255.255': 'reserved',
      '::': 'reserved',
    };
    assert.deepEqual(Object.fromEntries(Object.keys(cases).map((a) => [a, classifyAddress(a)])), cases);
  });

  it('reads and writes yyyy-MM-dd HH:mm:ss in Beijing time', () => {
    assert.equal(formatBeijing(0), '1970-01-01 08:00:00');
    assert.equal(parseBeijing('1970-01-01 08:00:00'), 0);
    assert.equal(parseBeijing('2023-02-30 00:00:00'), undefined);
    assert.equal(parseBeijing('2023-01-04T00:00:00Z'), undefined);
  });

  it('wakes clock waiters when the clock is moved, not only when time passes', async () => {
    const clock = new ControlledClock();
    let woke = false;
    const waiting = clock.sleep(3_600_000).then(() => (woke = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(woke, false);
    clock.advance(3_600_000);
    await waiting;
    assert.equal(woke, true);
  });
});
