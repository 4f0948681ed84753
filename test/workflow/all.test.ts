// Every workflow suite in one process, on one time-skipping server (each suite has its own stub workers and task
// queues). The suites are the other files in this folder; `node scripts/test.js workflow` runs them.
import { after } from 'node:test';
import { closeSharedTimeSkipping } from '../harness/workflowEnv';
import './batch';
import './fileSafety';
import './lane';
import './learnedPolling';
import './pipeline';

after(closeSharedTimeSkipping);
