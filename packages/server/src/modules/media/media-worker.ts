import type { Logger } from '../../platform/logging/logger.js';
import type { MediaJobs } from './media-jobs.js';

export interface MediaWorkerOptions {
  /** How often an idle worker looks for jobs another node queued. */
  readonly pollMs: number;
  /** How long a claimed job is this worker's; past it another worker takes it over. */
  readonly leaseMs: number;
  /** Wait before a failed job is tried again. */
  readonly retryMs: number;
}

export const DEFAULT_WORKER_OPTIONS: MediaWorkerOptions = { pollMs: 1000, leaseMs: 120_000, retryMs: 10_000 };

/**
 * Runs media jobs in the worker role, one at a time per process (each may
 * run ffmpeg and sharp: more at once would starve the node). Polls the
 * queue, and is nudged by uploads on this node so a job starts at once.
 * Stateless: any number of workers share the queue (see MediaJobs).
 */
export class MediaWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly jobs: MediaJobs,
    private readonly run: (mediaId: string, attempt: number) => Promise<void>,
    private readonly logger: Logger,
    private readonly options: MediaWorkerOptions = DEFAULT_WORKER_OPTIONS,
  ) {}

  start(): void {
    this.schedule(0);
  }

  /** A job was queued on this node: look now rather than at the next poll. */
  nudge(): void {
    if (!this.running && !this.stopped) this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.drain().finally(() => {
        this.running = undefined;
        if (!this.stopped) this.schedule(this.options.pollMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      let job: Awaited<ReturnType<MediaJobs['claim']>>;
      try {
        job = await this.jobs.claim(this.options.leaseMs);
      } catch (error) {
        this.logger.warn({ err: (error as Error).message }, 'could not read the media job queue');
        return;
      }
      if (!job) return;
      try {
        await this.run(job.mediaId, job.attempt);
        await this.jobs.complete(job.mediaId);
      } catch (error) {
        const again = await this.jobs.failed(job.mediaId, job.attempt, this.options.retryMs).catch(() => true);
        this.logger.warn({ mediaId: job.mediaId, attempt: job.attempt, again, err: (error as Error).message }, 'media job failed');
      }
    }
  }
}
