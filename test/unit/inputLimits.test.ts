// The provider's input limits as vsr reads them (activities/media.ts), at their boundaries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bitRateFromText,
  bitRateViolation,
  containerOf,
  isAcceptedContainer,
  LIMITS,
  matroskaDocType,
  mediaViolation,
  resolutionViolation,
  urlViolation,
} from '../../activities/media';
import type { VideoFacts } from '../../workflows/contract';

describe('resolution rule: short side 360..1080, long side <= 1920, portrait allowed', () => {
  const ok: Array<[number, number]> = [
    [640, 360],
    [360, 640],
    [1920, 1080],
    [1080, 1920],
    [360, 360],
    [1080, 1080],
    [1920, 360],
  ];
  const bad: Array<[number, number, RegExp]> = [
    [640, 359, /short side 359px is below 360px/],
    [359, 640, /short side 359px is below 360px/],
    [1921, 1080, /long side 1921px is above 1920px/],
    [1080, 1921, /long side 1921px is above 1920px/],
    [1200, 1081, /short side 1081px is above 1080px/],
    [0, 0, /below 360px/],
  ];
  for (const [w, h] of ok) it(`accepts ${w}x${h}`, () => assert.equal(resolutionViolation(w, h), undefined));
  for (const [w, h, msg] of bad) {
    it(`rejects ${w}x${h}`, () => {
      const v = resolutionViolation(w, h);
      assert.equal(v?.type, 'ResolutionOutOfRange');
      assert.equal(v?.field, 'source.resolution');
      assert.match(v?.message ?? '', msg);
      assert.match(v?.message ?? '', new RegExp(`${w}x${h}`));
    });
  }
});

describe('bitRate: integer 1..100, optional', () => {
  for (const ok of [undefined, 1, 10, 100]) it(`accepts ${ok}`, () => assert.equal(bitRateViolation(ok), undefined));
  for (const bad of [0, 101, -1, 2.5, '10', NaN]) {
    it(`rejects ${String(bad)}`, () => {
      const v = bitRateViolation(bad);
      assert.equal(v?.type, 'InvalidBitRate');
      assert.match(v?.message ?? '', /bitRate .* must be an integer from 1 to 100/);
    });
  }
});

describe('bitrate as written (the CLI and manifests share one parser)', () => {
  for (const ok of ['1', '10', ' 100 '])
    it(`reads ${JSON.stringify(ok)}`, () => assert.deepEqual(bitRateFromText(ok, '--bitrate'), { value: Number(ok) }));
  for (const bad of ['1e1', '7.5', 'ten', '-1', '0', '101', '0x10', '', '1_0', '+5'])
    it(`refuses ${JSON.stringify(bad)} naming the field, the value and the limit`, () => {
      const r = bitRateFromText(bad, '--bitrate');
      assert.ok('violation' in r);
      assert.equal(r.violation.type, 'InvalidBitRate');
      assert.equal(r.violation.field, '--bitrate');
      assert.match(r.violation.message, /^--bitrate /);
      assert.ok(r.violation.message.includes(bad), r.violation.message);
      assert.match(r.violation.message, /integer from 1 to 100/);
    });
});

describe('source URL', () => {
  it('rejects non-ASCII and says how to fix it', () => {
    const v = urlViolation('https://example.invalid/视频.mp4');
    assert.equal(v?.type, 'NonAsciiUrl');
    assert.match(v?.message ?? '', /Percent-encode/);
  });
  it('rejects spaces and non-http schemes', () => {
    assert.equal(urlViolation('https://h/a b.mp4')?.type, 'NonAsciiUrl');
    assert.equal(urlViolation('ftp://h/a.mp4')?.type, 'InvalidSource');
  });
  it('accepts percent-encoded URLs', () => assert.equal(urlViolation('https://h/%E8%A7%86.mp4?x=1'), undefined));
});

describe('containers and size', () => {
  const facts = (over: Partial<VideoFacts>): VideoFacts => ({
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    videoCodec: 'h264',
    width: 640,
    height: 360,
    durationSeconds: 1,
    bitRate: 1,
    sizeBytes: 1,
    hasAudio: false,
    ...over,
  });
  const mov = 'mov,mp4,m4a,3gp,3g2,mj2';
  it('accepts the probed containers MP4, AVI, MKV, MOV, FLV, TS, MPG, MXF', () => {
    const probed: Array<[string, string | undefined, string]> = [
      [mov, 'isom', 'mp4'],
      [mov, 'mp42', 'mp4'],
      [mov, 'qt  ', 'mov'],
      [mov, undefined, 'mov'],
      ['matroska,webm', undefined, 'mkv'],
      ['avi', undefined, 'avi'],
      ['flv', undefined, 'flv'],
      ['mpegts', undefined, 'ts'],
      ['mpeg', undefined, 'mpg'],
      ['mxf', undefined, 'mxf'],
    ];
    for (const [format, brand, container] of probed) {
      assert.equal(containerOf(format, brand), container, `${format} ${brand}`);
      assert.ok(isAcceptedContainer(container), container);
    }
  });
  it('tells 3GP, M4A and Motion JPEG 2000 from MP4 by brand, and WebM from MKV by DocType', () => {
    assert.equal(containerOf(mov, '3gp4'), '3gp');
    assert.equal(containerOf(mov, '3g2a'), '3gp');
    assert.equal(containerOf(mov, 'M4A '), 'm4a');
    assert.equal(containerOf(mov, 'mjp2'), 'mj2');
    // An EBML header: ID 1A45DFA3, then DocType (4282) of size 4 (0x84) "webm".
    const webm = Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84, ...Buffer.from('webm')]);
    const mkv = Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x88, ...Buffer.from('matroska')]);
    assert.equal(matroskaDocType(webm), 'webm');
    assert.equal(containerOf('matroska,webm', undefined, webm), 'webm');
    assert.equal(containerOf('matroska,webm', undefined, mkv), 'mkv');
    for (const c of ['3gp', 'm4a', 'mj2', 'webm', 'gif', 'png_pipe']) assert.equal(isAcceptedContainer(c), false, c);
  });
  it('rejects other containers by probe, not by name', () => {
    assert.equal(mediaViolation(facts({ formatName: 'gif' }))?.type, 'UnsupportedContainer');
    assert.equal(mediaViolation(facts({ formatName: 'ogg' }))?.type, 'UnsupportedContainer');
    const webm = mediaViolation(facts({ formatName: 'matroska,webm', container: 'webm' }));
    assert.equal(webm?.type, 'UnsupportedContainer');
    assert.match(webm?.message ?? '', /source.container "webm" .* MP4, AVI, MKV, MOV, FLV, TS, MPG, MXF/);
  });
  it('refuses several video streams (which one would be upscaled?) but not a cover picture', () => {
    const v = mediaViolation(facts({ videoStreams: 2 }));
    assert.equal(v?.type, 'UnsupportedContainer');
    assert.match(v?.message ?? '', /2 video streams/);
    assert.equal(mediaViolation(facts({ videoStreams: 1 })), undefined);
  });
  it('allows exactly 1 GiB and rejects one byte more', () => {
    assert.equal(mediaViolation(facts({ sizeBytes: LIMITS.maxBytes })), undefined);
    const v = mediaViolation(facts({ sizeBytes: LIMITS.maxBytes + 1 }));
    assert.equal(v?.type, 'FileTooLarge');
    assert.match(v?.message ?? '', /1073741825 bytes exceeds the limit of 1073741824 bytes/);
  });
  it('rejects files without a video stream', () =>
    assert.equal(mediaViolation(facts({ videoCodec: 'none', width: 0 }))?.type, 'UnsupportedContainer'));
});
