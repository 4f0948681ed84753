import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { intFlag, parseArgs, UsageError } from '../../app/cli/args';
import { resolveBatchTarget } from '../../app/cli/commands/batch';
import { parseTarget } from '../../app/cli/commands/upscale';
import { batchIdFor, batchWorkflowId, redactUrl, VsrClient, workflowIdFor } from '../../client';
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
    const source = (text: string) => parseTarget(text, undefined, '/home').source;
    assert.deepEqual(source('a.mp4'), { kind: 'local', path: path.resolve('a.mp4') });
    assert.deepEqual(source('https://h/v.mp4'), { kind: 'url', url: 'https://h/v.mp4' });
    assert.deepEqual(source('oss://b-1/k/v.mp4'), { kind: 'oss', bucket: 'b-1', key: 'k/v.mp4' });
    assert.throws(
      () => source('oss://bucket'),
      (e: Error) => e instanceof UsageError && /oss:\/\/bucket\/key/.test(e.message),
    );
    assert.throws(() => parseTarget('a.mp4', 'https://h/v.mp4', '/home'), /--out must be/);
    assert.deepEqual(parseTarget('a.mp4', 'oss://b-1/out/a.mp4', '/home').destination, { kind: 'oss', bucket: 'b-1', key: 'out/a.mp4' });
  });
  it('names outputs after their source with .x2', () => {
    const destination = (text: string) => parseTarget(text, undefined, '/home').destination;
    assert.deepEqual(destination('/v/clip.mov'), { kind: 'local', path: '/v/clip.x2.mp4' });
    assert.deepEqual(destination('https://h/dir/v.avi?sig=1'), { kind: 'local', path: '/home/output/v.x2.mp4' });
    assert.deepEqual(destination('oss://b-1/k/v.mkv'), { kind: 'local', path: '/home/output/v.x2.mp4' });
    assert.deepEqual(resolveBatchTarget('oss://b-1/in', undefined), {
      manifest: { kind: 'oss', bucket: 'b-1', prefix: 'in/' },
      output: { kind: 'oss', bucket: 'b-1', prefix: 'in.x2/' },
    });
    assert.deepEqual(resolveBatchTarget('oss://b-1/', undefined).output, { kind: 'oss', bucket: 'b-1', prefix: 'videos.x2/' });
    assert.deepEqual(resolveBatchTarget(__dirname, undefined).output, { kind: 'local', dir: `${__dirname}.x2` });
    assert.deepEqual(resolveBatchTarget(__filename, undefined).output, { kind: 'local', dir: __filename.replace(/\.js$/, '.x2') });
  });
});

describe('client library', () => {
  const input = { source: { kind: 'local' as const, path: '/v/a.mp4' }, destination: { kind: 'local' as const, path: '/v/a.x2.mp4' } };
  it('derives stable workflow ids: same input or key, same id', () => {
    assert.equal(workflowIdFor(input), workflowIdFor({ ...input }));
    assert.notEqual(workflowIdFor(input), workflowIdFor({ ...input, bitRateMbps: 5 }));
    assert.equal(workflowIdFor(input, 'order-42'), workflowIdFor({ ...input, bitRateMbps: 7 }, 'order-42'));
    assert.match(workflowIdFor(input, 'order 42/x'), /^vsr-order_42_x-[0-9a-f]{16}$/);
  });
  it('keeps the ids of earlier versions, so a video done before is still found and skipped', () => {
    assert.equal(workflowIdFor(input), 'vsr-a.mp4-1aa4d0c4ff1a12ec');
    const remote = { kind: 'oss' as const, bucket: 'b-1', key: 'o/v.mp4' };
    assert.equal(
      workflowIdFor({ source: { kind: 'url', url: 'https://h/v.mp4?sig=1' }, destination: remote, bitRateMbps: 5 }),
      'vsr-v.mp4__-de6ea67087e609be',
    );
  });
  it('derives batch ids from what a batch covers: same manifest and output, same id', () => {
    const manifest = { kind: 'folder' as const, path: '/v/in' };
    const output = { kind: 'local' as const, dir: '/v/in.x2' };
    assert.equal(batchIdFor(manifest, output), batchIdFor({ ...manifest }, { ...output }));
    assert.notEqual(batchIdFor(manifest, output), batchIdFor(manifest, { kind: 'local', dir: '/v/other' }));
    assert.notEqual(batchIdFor(manifest, output), batchIdFor({ kind: 'folder', path: '/v/in2' }, output));
    assert.match(batchWorkflowId(batchIdFor(manifest, output)), /^vsr-batch-in-[0-9a-f]{16}$/);
  });
  it('is importable by its package name', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the package's exports map is what is under test
    const lib = require('vsr') as typeof import('../../client');
    assert.equal(lib.VsrClient, VsrClient);
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
