// A user's files are safe: the source is never the destination however it is spelled, existing outputs are kept
// unless overwrite is asked, outputs stay inside the configured roots, and results appear only whole.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { destinationViolation, partialPath, publishLocal, type DestinationCheck, type OutputRoot } from '../../activities/destination';
import type { Destination, Source } from '../../workflows/contract';
import { readOnlyFolder } from '../harness/mounts';

describe('destination checks', () => {
  let dir: string;
  let source: string;
  let undoReadOnly: () => void;
  const objects = new Set(['b-1/out/exists.mp4']);
  const storage = { head: async (bucket: string, key: string) => (objects.has(`${bucket}/${key}`) ? { size: 1 } : undefined) };

  before(async () => {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'vsr-dest-'));
    await fs.promises.mkdir(path.join(dir, 'videos', 'sub'), { recursive: true });
    await fs.promises.mkdir(path.join(dir, 'root'));
    await fs.promises.mkdir(path.join(dir, 'elsewhere'));
    source = path.join(dir, 'videos', 'a.mp4');
    await fs.promises.writeFile(source, 'original');
    await fs.promises.writeFile(path.join(dir, 'videos', 'other.mp4'), 'another file');
    await fs.promises.symlink(source, path.join(dir, 'videos', 'link-to-a.mp4'));
    await fs.promises.symlink(path.join(dir, 'videos'), path.join(dir, 'videos-link'));
    await fs.promises.link(source, path.join(dir, 'videos', 'hard-a.mp4'));
    await fs.promises.symlink(path.join(dir, 'elsewhere'), path.join(dir, 'root', 'escape'));
    await fs.promises.writeFile(path.join(dir, 'a-file'), '');
    undoReadOnly = readOnlyFolder(path.join(dir, 'readonly'));
  });
  after(async () => {
    undoReadOnly();
    await fs.promises.rm(dir, { recursive: true, force: true });
  });

  function check(destination: Destination, over: Partial<DestinationCheck> = {}) {
    const src: Source = { kind: 'local', path: source };
    return destinationViolation({ destination, source: src, overwrite: false, roots: [], storage, ...over });
  }
  const local = (p: string): Destination => ({ kind: 'local', path: path.join(dir, p) });

  it('refuses the source itself, however spelled, even with overwrite', async () => {
    for (const spelling of [
      'videos/a.mp4',
      'videos/sub/../a.mp4',
      'videos/./a.mp4',
      'videos/link-to-a.mp4',
      'videos-link/a.mp4',
      'videos/hard-a.mp4',
    ]) {
      for (const overwrite of [false, true]) {
        const v = await check(local(spelling), { overwrite });
        assert.equal(v?.type, 'InvalidDestination', spelling);
        assert.match(v?.message ?? '', /is the source file itself; the upscale would destroy the original/, spelling);
      }
    }
    assert.equal(await fs.promises.readFile(source, 'utf8'), 'original');
  });

  it('refuses an existing destination unless overwrite', async () => {
    const v = await check(local('videos/other.mp4'));
    assert.equal(v?.type, 'DestinationExists');
    assert.match(v?.message ?? '', /other\.mp4" already exists; pass overwrite \(--overwrite\)/);
    assert.equal(await check(local('videos/other.mp4'), { overwrite: true }), undefined);
    assert.equal(await check(local('videos/new.mp4')), undefined);
  });

  it('refuses missing or unusable folders, folders as files and relative paths', async () => {
    const cases: Array<[Destination, RegExp]> = [
      [local('missing/a.mp4'), /folder .*missing does not exist \(vsr does not create it\)/],
      [local('a-file/a.mp4'), /a-file is not a folder/],
      [local('videos/sub'), /is a folder/],
      [{ kind: 'local', path: 'out.mp4' }, /must be absolute/],
      [local('readonly/a.mp4'), /readonly is not writable \((EROFS|EACCES)\)/],
    ];
    for (const [d, why] of cases) {
      const v = await check(d);
      assert.equal(v?.type, 'InvalidDestination', JSON.stringify(d));
      assert.match(v?.message ?? '', why);
    }
    assert.deepEqual(
      await fs.promises.readdir(path.join(dir, 'videos')).then((l) => l.filter((f) => f.startsWith('.'))),
      [],
      'the write check left nothing',
    );
  });

  it('checks many destinations in one folder at the same moment (a batch validating together)', async () => {
    const verdicts = await Promise.all(Array.from({ length: 20 }, (_, i) => check(local(`videos/sub/out-${i}.mp4`))));
    assert.deepEqual(verdicts, Array(20).fill(undefined));
  });

  it('keeps outputs inside the configured roots: no escape by .. or symlinks', async () => {
    const roots: OutputRoot[] = [{ kind: 'local', path: path.join(dir, 'root') }];
    assert.equal(await check(local('root/a.mp4'), { roots }), undefined);
    for (const escape of ['root/../elsewhere/a.mp4', 'root/escape/a.mp4', 'videos/new.mp4']) {
      const v = await check(local(escape), { roots });
      assert.equal(v?.type, 'InvalidDestination', escape);
      assert.match(v?.message ?? '', /outside the output roots \(VSR_OUTPUT_ROOT: /, escape);
    }
    const v = await check({ kind: 'oss', bucket: 'b-1', key: 'out/a.mp4' }, { roots });
    assert.match(v?.message ?? '', /outside the output roots/);
    const ossRoots: OutputRoot[] = [{ kind: 'oss', bucket: 'b-1', prefix: 'out/' }];
    assert.equal(await check({ kind: 'oss', bucket: 'b-1', key: 'out/a.mp4' }, { roots: ossRoots }), undefined);
    assert.match((await check({ kind: 'oss', bucket: 'b-1', key: 'in/a.mp4' }, { roots: ossRoots }))?.message ?? '', /outside/);
  });

  it('refuses the source object itself, existing objects unless overwrite, and bad keys', async () => {
    const src: Source = { kind: 'oss', bucket: 'b-1', key: 'in/a.mp4' };
    const same = await check({ kind: 'oss', bucket: 'b-1', key: 'in/a.mp4' }, { source: src, overwrite: true });
    assert.match(same?.message ?? '', /is the source object itself/);
    assert.equal((await check({ kind: 'oss', bucket: 'b-1', key: 'out/exists.mp4' }))?.type, 'DestinationExists');
    assert.equal(await check({ kind: 'oss', bucket: 'b-1', key: 'out/exists.mp4' }, { overwrite: true }), undefined);
    const bad = await check({ kind: 'oss', bucket: 'b-1', key: 'out/../../x.mp4' });
    assert.equal(bad?.type, 'InvalidDestination');
    assert.match(bad?.message ?? '', /\.\. segment/);
  });
});

describe('publishing a verified result', () => {
  let dir: string;
  before(async () => (dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'vsr-publish-'))));
  after(() => fs.promises.rm(dir, { recursive: true, force: true }));

  async function partial(name: string, text: string): Promise<string> {
    const part = partialPath('/unused', { kind: 'local', path: path.join(dir, name) }, `wf-${name}`);
    await fs.promises.writeFile(part, text);
    return part;
  }
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');

  it('writes under a hidden temporary name beside the destination, unique to the workflow', () => {
    const a = partialPath('/work', { kind: 'local', path: '/v/clip.mp4' }, 'wf-1');
    assert.match(a, /^\/v\/\.clip\.mp4\.[0-9a-f]{12}\.vsr-part$/);
    assert.notEqual(a, partialPath('/work', { kind: 'local', path: '/v/clip.mp4' }, 'wf-2'));
    assert.ok(path.basename(partialPath('/w', { kind: 'local', path: `/v/${'n'.repeat(255)}` }, 'x')).length <= 255);
  });

  it('moves the result into place, and never over a file that appeared meanwhile', async () => {
    const out = path.join(dir, 'a.mp4');
    assert.equal(await publishLocal(await partial('a.mp4', 'result'), out, false, sha('result')), true);
    assert.equal(await fs.promises.readFile(out, 'utf8'), 'result');
    const theirs = path.join(dir, 'b.mp4');
    await fs.promises.writeFile(theirs, 'the user made this');
    assert.equal(await publishLocal(await partial('b.mp4', 'result'), theirs, false, sha('result')), false);
    assert.equal(await fs.promises.readFile(theirs, 'utf8'), 'the user made this');
  });

  it('recognises its own earlier delivery (a retry after a crash) and replaces only with overwrite', async () => {
    const out = path.join(dir, 'c.mp4');
    await fs.promises.writeFile(out, 'result');
    assert.equal(await publishLocal(await partial('c.mp4', 'result'), out, false, sha('result')), true);
    assert.equal(await publishLocal(await partial('c.mp4', 'newer'), out, true, sha('newer')), true);
    assert.equal(await fs.promises.readFile(out, 'utf8'), 'newer');
    assert.deepEqual(
      (await fs.promises.readdir(dir)).filter((f) => f.endsWith('.vsr-part')),
      [],
      'no temporary left',
    );
  });
});
