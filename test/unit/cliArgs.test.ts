import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { intFlag, parseArgs, UsageError } from '../../app/cli/args';
import { parseLocation } from '../../app/cli/commands/upscale';
import { workflowIdFor, redactUrl } from '../../client';
import { loadConfig, ConfigError } from '../../config';
import { buildProvider } from '../../workers/providers';

describe('vsr command line', () => {
  it('parses positionals, valued and boolean flags', () => {
    const p = parseArgs(['in.mp4', '--bitrate', '5', '--out=o.mp4', '--no-wait'], ['bitrate', 'out'], ['no-wait']);
    assert.deepEqual(p.positionals, ['in.mp4']);
    assert.equal(intFlag(p, 'bitrate', 1, 100), 5);
    assert.equal(p.flags.get('out'), 'o.mp4');
    assert.equal(p.flags.get('no-wait'), true);
  });
  it('names the flag and the limit in errors', () => {
    assert.throws(() => parseArgs(['--nope'], [], []), /unknown option --nope/);
    assert.throws(() => parseArgs(['--bitrate'], ['bitrate'], []), /--bitrate needs a value/);
    assert.throws(
      () => intFlag(parseArgs(['--bitrate', '200'], ['bitrate'], []), 'bitrate', 1, 100),
      (e: Error) => e instanceof UsageError && /--bitrate 200 must be an integer from 1 to 100/.test(e.message),
    );
  });
  it('reads inputs as local paths, URLs or oss://bucket/key', () => {
    assert.deepEqual(parseLocation('a.mp4', 'input'), { kind: 'local', path: path.resolve('a.mp4') });
    assert.deepEqual(parseLocation('https://h/v.mp4', 'input'), { kind: 'url', url: 'https://h/v.mp4' });
    assert.deepEqual(parseLocation('oss://b-1/k/v.mp4', 'input'), { kind: 'oss', bucket: 'b-1', key: 'k/v.mp4' });
    assert.throws(() => parseLocation('oss://bucket', 'input'), /oss:\/\/bucket\/key/);
    assert.throws(() => parseLocation('https://h/v.mp4', '--out'), /--out must be/);
  });
});

describe('client library', () => {
  const input = { source: { kind: 'local' as const, path: '/v/a.mp4' }, destination: { kind: 'local' as const, path: '/v/a.x2.mp4' } };
  it('derives stable workflow ids: same input or key, same id', () => {
    assert.equal(workflowIdFor(input), workflowIdFor({ ...input }));
    assert.notEqual(workflowIdFor(input), workflowIdFor({ ...input, bitRate: 5 }));
    assert.equal(workflowIdFor(input, 'order-42'), workflowIdFor({ ...input, bitRate: 7 }, 'order-42'));
    assert.match(workflowIdFor(input, 'order 42/x'), /^vsr-order_42_x-[0-9a-f]{16}$/);
  });
  it('keeps query strings (signatures) out of descriptions', () => {
    assert.equal(redactUrl('http://h/k?OSSAccessKeyId=a&Signature=s'), 'http://h/k?…');
  });
});

describe('worker configuration', () => {
  it('defaults to the local provider and names bad variables', () => {
    const c = loadConfig({});
    assert.equal(c.provider, 'local');
    assert.equal(c.temporal.address, undefined);
    assert.throws(
      () => loadConfig({ VSR_PROVIDER: 'aws' }),
      (e: Error) => e instanceof ConfigError && /VSR_PROVIDER=aws/.test(e.message),
    );
    assert.throws(() => loadConfig({ VSR_MAX_ACTIVITIES: '0' }), /VSR_MAX_ACTIVITIES=0 must be an integer from 1/);
    assert.throws(() => loadConfig({ TEMPORAL_TLS_CERT: '/c.pem' }), /TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY/);
  });
  it('wires the Alibaba provider from the environment, needing only a bucket (credentials come from the chain)', () => {
    assert.throws(() => buildProvider(loadConfig({ VSR_PROVIDER: 'alibaba' })), /VSR_OSS_BUCKET must name your OSS bucket/);
    const p = buildProvider(loadConfig({ VSR_PROVIDER: 'alibaba', VSR_OSS_BUCKET: 'media-sh' }));
    assert.deepEqual([p.provider, p.workBucket], ['alibaba', 'media-sh']);
  });
});
