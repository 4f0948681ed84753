// Locations as users write them: oss:// keys that would name another object, file: URLs, unknown schemes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocationError, ossProblem, parseDestination, parseLocation, temporaryPrefix } from '../../workflows/locations';

const abs = (p: string) => `/cwd/${p}`;

describe('oss:// locations', () => {
  const refused: Array<[string, RegExp]> = [
    ['oss://bucket/../../x', /\.\. segment/],
    ['oss://bucket/a/./b.mp4', /\. or \.\. segment/],
    ['oss://bucket/a/..', /\.\. segment/],
    ['oss://bucket/', /empty key/],
    ['oss://bucket//abs.mp4', /starting with \//],
    ['oss://bucket/\\abs.mp4', /starting with/],
    ['oss://bucket/a\nb.mp4', /control character/],
    ['oss://bucket/a\u007fb.mp4', /control character/],
    [`oss://bucket/${'k'.repeat(1024)}`, /1024 bytes, above the limit of 1023/],
    [`oss://bucket/${'视'.repeat(342)}`, /1026 bytes/],
    ['oss://Bucket/a.mp4', /bucket "Bucket"/],
    ['oss://ab/a.mp4', /bucket "ab"/],
    ['oss://-bucket/a.mp4', /bucket "-bucket"/],
    ['oss://bucket_1/a.mp4', /bucket "bucket_1"/],
    [`oss://${'b'.repeat(64)}/a.mp4`, /3-63/],
    ['oss://bucket/dir/', /names a folder/],
  ];
  for (const [text, why] of refused)
    it(`refuses ${JSON.stringify(text.slice(0, 40))}`, () => {
      assert.throws(
        () => parseLocation(text, 'input', abs),
        (e: Error) => e instanceof LocationError && why.test(e.message) && e.message.startsWith('input '),
      );
    });
  it('accepts keys at the limits', () => {
    assert.equal(ossProblem('abc', 'k'.repeat(1023)), undefined);
    assert.equal(ossProblem('a'.repeat(63), 'a..b/c...mp4'), undefined);
    assert.deepEqual(parseLocation('oss://b-1/in/视频.mp4', 'input', abs), { kind: 'oss', bucket: 'b-1', key: 'in/视频.mp4' });
  });
  it("keeps each workflow's temporaries under its own prefix", () => assert.equal(temporaryPrefix('vsr-a-1'), 'vsr-tmp/vsr-a-1/'));
});

describe('file: URLs and other schemes', () => {
  it('reads file:///path and file://localhost/path as local paths, percent-decoded', () => {
    assert.deepEqual(parseLocation('file:///etc/passwd', 'input', abs), { kind: 'local', path: '/etc/passwd' });
    assert.deepEqual(parseLocation('file://localhost/v/a%20b.mp4', 'input', abs), { kind: 'local', path: '/v/a b.mp4' });
  });
  it('refuses file URLs of other hosts, relative ones and broken encodings', () => {
    for (const text of ['file://server/share/a.mp4', 'file:a.mp4', 'file:///v/%E0%A4%A.mp4', 'file:///v/a%00.mp4'])
      assert.throws(() => parseLocation(text, 'input', abs), LocationError, text);
  });
  it('refuses other schemes instead of reading them as relative paths', () => {
    for (const text of ['ftp://h/a.mp4', 'gopher://h/a', 's3://b/k.mp4', 'data://x'])
      assert.throws(
        () => parseLocation(text, 'input', abs),
        (e: Error) => e instanceof LocationError && /scheme .* is not supported/.test(e.message),
      );
    assert.deepEqual(parseLocation('clip.mp4', 'input', abs), { kind: 'local', path: '/cwd/clip.mp4' });
  });
  it('keeps a query string out of the message', () => {
    assert.throws(
      () => parseLocation('ftp://h/a.mp4?Signature=s3cr3t', 'input', abs),
      (e: Error) => !e.message.includes('s3cr3t'),
    );
  });
  it('refuses URLs as destinations', () => assert.throws(() => parseDestination('https://h/a.mp4', '--out', abs), /not a URL/));
});
