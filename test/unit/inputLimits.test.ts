// The provider's input limits as vsr reads them (activities/media.ts), at their boundaries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bitRateViolation, isAcceptedContainer, mediaViolation, resolutionViolation, urlViolation, LIMITS } from '../../activities/media';
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
  it('accepts the probed formats of MP4, AVI, MKV, MOV, FLV, TS, MPG, MXF', () => {
    for (const f of ['mov,mp4,m4a,3gp,3g2,mj2', 'avi', 'matroska,webm', 'flv', 'mpegts', 'mpeg', 'mxf'])
      assert.ok(isAcceptedContainer(f), f);
  });
  it('rejects other containers by probe, not by name', () => {
    assert.equal(mediaViolation(facts({ formatName: 'gif' }))?.type, 'UnsupportedContainer');
    assert.equal(mediaViolation(facts({ formatName: 'ogg' }))?.type, 'UnsupportedContainer');
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
