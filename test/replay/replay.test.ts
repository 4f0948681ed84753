// Replays recorded histories against today's workflow code: a non-deterministic change fails here, not in production.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { tracingSinks } from '../../workers/telemetry/tracing';
import { workflowBundle } from '../harness/temporal';

const DIR = path.join(__dirname, '..', '..', '..', 'test', 'replay', 'histories');

describe('replay of recorded histories', () => {
  const files = fs
    .readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();

  it('has recorded histories to replay', () => {
    assert.ok(files.length >= 3, `found ${files.length} histories in ${DIR}`);
  });

  for (const file of files) {
    it(`replays ${file} deterministically`, async () => {
      // fromObject, not the SDK's historyFromJSON: the latter trips over two protobufjs copies in SDK 1.24.
      const history = temporal.api.history.v1.History.fromObject(
        JSON.parse(await fs.promises.readFile(path.join(DIR, file), 'utf8')) as Record<string, unknown>,
      );
      await Worker.runReplayHistory(
        { workflowBundle: await workflowBundle(), sinks: tracingSinks() },
        history,
        path.basename(file, '.json'),
      );
    });
  }
});
