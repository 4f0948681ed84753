// Every workflow suite in one process, on one time-skipping server (each suite has its own stub workers and task
// queues). The suites are the other modules in this folder, all loaded here, so a new one cannot be left out;
// `node scripts/test.js workflow` runs them.
import fs from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import { closeSharedTimeSkipping } from '../harness/workflowEnv';

for (const file of fs.readdirSync(__dirname).sort())
  // A suite registers its tests as it loads; a static import list would let a new file be skipped silently.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (file.endsWith('.js') && !file.endsWith('.test.js')) require(path.join(__dirname, file));

after(closeSharedTimeSkipping);
