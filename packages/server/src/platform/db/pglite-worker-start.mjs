// The entry of the PGlite worker thread. The worker's code is TypeScript, and
// on Node 20 neither the tsx hooks of the main thread (bin/kaif.js) nor
// `--import tsx` in the worker's execArgv reach a worker's own imports, so
// the thread registers tsx itself, as bin/kaif.js does, before loading it.
import { register } from 'tsx/esm/api';

register();
await import('./pglite-worker.ts');
