// What the worker registers.
export { superResolveVideo } from './superResolve';
export { vsrBatch } from './batch';
export { submitLane } from './submitLane';
