import { workerData } from 'node:worker_threads';
import { type SendJob, type SenderSettings, createSendOne } from './push-sender.js';

/** A push sender thread: encrypts and POSTs each job it is handed (ThreadedPushSender). */
const sender = createSendOne(workerData as SenderSettings);

/** `'warm'` answers once the thread has loaded: the pool sends through it from then on. */
export default (job: SendJob | 'warm') => (job === 'warm' ? 'warm' : sender.send(job));
