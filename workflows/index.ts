// What the worker registers.
export { superResolveVideo } from './superResolve';
