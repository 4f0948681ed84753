// The pre-built workflow bundle's source map: small (no sources inside, which every worker would hold in memory)
// yet still enough for a workflow stack trace to name the TypeScript file and line.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { WORKFLOW_BUNDLE_PATH } from '../../workers/bundle';

const ROOT = path.join(__dirname, '..', '..', '..');

function inlineMap(code: string): SourceMapPayload {
  const m = /\/\/# sourceMappingURL=data:application\/json;[^,]*base64,(\S+)\s*$/.exec(code);
  assert.ok(m, 'the bundle carries an inline source map (the SDK refuses a bundle without one)');
  return JSON.parse(Buffer.from(m[1], 'base64').toString('utf8')) as SourceMapPayload;
}

describe('workflow bundle', () => {
  const code = fs.readFileSync(WORKFLOW_BUNDLE_PATH, 'utf8');
  const payload = inlineMap(code);

  it('carries no sources in its map', () => {
    assert.equal((payload as { sourcesContent?: unknown }).sourcesContent, undefined);
  });

  it("maps a workflow's line in the bundle to its TypeScript file and line", () => {
    const needle = 'async function superResolveVideo(';
    const bundleLine = code.split('\n').findIndex((l) => l.includes(needle));
    assert.ok(bundleLine >= 0, `${needle} is in the bundle`);
    const tsLine = fs
      .readFileSync(path.join(ROOT, 'workflows', 'superResolve.ts'), 'utf8')
      .split('\n')
      .findIndex((l) => l.includes(needle));
    const entry = new SourceMap(payload).findEntry(bundleLine, 0) as { originalSource?: string; originalLine?: number };
    assert.match(entry.originalSource ?? '', /workflows\/superResolve\.ts$/);
    assert.equal(entry.originalLine, tsLine);
  });
});
