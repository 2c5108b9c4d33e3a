import { workerData } from 'node:worker_threads';
import { type SendJob, type SenderSettings, createSendOne } from './push-sender.js';

/** A push sender thread: encrypts and POSTs each job it is handed (ThreadedPushSender). */
const sender = createSendOne(workerData as SenderSettings);

export default (job: SendJob) => sender.send(job);
