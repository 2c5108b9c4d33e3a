// The entry of a push sender thread (piscina). The sender's code is
// TypeScript, and on Node 20 the main thread's tsx hooks do not reach a
// worker's imports, so the thread registers tsx itself (as
// platform/db/pglite-worker-start.mjs does) before loading it.
import { register } from 'tsx/esm/api';

register();
const { default: send } = await import('./push-sender-worker.ts');
export default send;
