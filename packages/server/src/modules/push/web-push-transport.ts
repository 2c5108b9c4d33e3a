import { setTimeout as sleep } from 'node:timers/promises';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { DependencyPolicy } from '../../platform/resilience/dependency-policy.js';
import type { EndpointGuard } from './endpoint-guard.js';
import type { SendAnswer, SendJob } from './push-sender.js';
import type { PushSender } from './push-sender-pool.js';
import type { PushServicePolicies } from './push-service-policies.js';
import type { PushMessage, PushOutcome, PushTarget, PushTransport } from './push-transport.js';
import type { VapidKeys } from './vapid-keys.js';
import { VapidTokens } from './vapid-tokens.js';

export interface RetryOptions {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** First backoff; doubled each time, with full jitter, when the service gives no Retry-After. */
  readonly baseDelayMs: number;
  /** No wait, Retry-After included, is longer than this. */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 4, baseDelayMs: 500, maxDelayMs: 30_000 };

/** A 5xx: the push service is failing; counts toward the breaker. */
class PushServiceError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfter: string | undefined,
  ) {
    super(`push service answered ${status}`);
  }
}

/** An attempt whose answer was not a 5xx or an outage. */
type Answer = Extract<SendAnswer, { kind: 'answered' }>;

/** An attempt refused by the SSRF rules: a KaifError, so it does not count toward the breaker. */
const refusedAttempt = (detail: string) => new KaifError('PUSH_ENDPOINT_REFUSED', detail);

/**
 * Web Push: the VAPID token (RFC 8292) comes from a per-push-service cache
 * on this thread (VapidTokens), the RFC 8291 encryption and the HTTP
 * exchange run in the sender (push-sender.ts: sender threads or this loop).
 * Each attempt runs through the policy of the endpoint's push service
 * (PushServicePolicies: timeout, breaker, bulkhead per origin, in /health);
 * 429 and 5xx are retried with exponential backoff and full jitter, waiting
 * at least what Retry-After asks. Sockets connect only through the endpoint
 * guard's checking lookup, and redirects are not followed: a 3xx is a
 * failed delivery, whose detail names where it pointed.
 */
export class WebPushTransport implements PushTransport {
  private readonly tokens: VapidTokens;

  constructor(
    vapid: VapidKeys,
    private readonly guard: EndpointGuard,
    private readonly sender: PushSender,
    private readonly policies: PushServicePolicies,
    private readonly timeoutMs: number,
    private readonly retry: RetryOptions = DEFAULT_RETRY,
  ) {
    this.tokens = new VapidTokens(vapid);
  }

  async send(target: PushTarget, message: PushMessage): Promise<PushOutcome> {
    let job: SendJob;
    let policy: DependencyPolicy;
    try {
      // The literal's range on this thread too, before any job is made.
      this.guard.checkUrl(target.endpoint);
      policy = this.policies.for(target.endpoint);
      job = {
        endpoint: target.endpoint,
        keys: { p256dh: target.keys.p256dh, auth: target.keys.auth },
        payload: message.payload,
        ttlSeconds: message.ttlSeconds,
        topic: message.topic,
        authorization: this.tokens.authorizationFor(target.endpoint),
        timeoutMs: this.timeoutMs,
      };
    } catch (error) {
      return { kind: 'failed', detail: (error as Error).message };
    }
    for (let attempt = 1; ; attempt++) {
      let answer: Answer;
      try {
        // Untimed here: the sender times the HTTP exchange itself (SendJob.timeoutMs), so a queue for a busy sender thread is not taken for the push service failing.
        answer = await policy.execute(() => this.attempt(job), { untimed: true });
      } catch (error) {
        if (!(error instanceof PushServiceError)) return { kind: 'failed', detail: (error as Error).message };
        answer = { kind: 'answered', status: error.status, retryAfter: error.retryAfter, location: undefined };
      }
      const { status } = answer;
      if (status >= 200 && status < 300) return { kind: 'accepted', attempts: attempt };
      if (status === 404 || status === 410) return { kind: 'gone', status };
      if (status >= 300 && status < 400) {
        return { kind: 'failed', detail: `push service redirected (${status})${whereTo(answer.location)}; redirects are not followed` };
      }
      const retryable = status === 429 || status >= 500;
      if (!retryable || attempt >= this.retry.attempts) return { kind: 'failed', detail: `push service answered ${status}` };
      const backoff = Math.random() * this.retry.baseDelayMs * 2 ** (attempt - 1);
      await sleep(Math.min(this.retry.maxDelayMs, Math.max(backoff, retryAfterMs(answer.retryAfter) ?? 0)));
    }
  }

  close(): Promise<void> {
    return this.sender.close();
  }

  /** One attempt; a 5xx or no answer throws (it counts toward the push service's breaker), a refusal throws a KaifError (it does not). */
  private async attempt(job: SendJob): Promise<Answer> {
    const answer = await this.sender.send(job);
    if (answer.kind === 'refused') throw refusedAttempt(answer.detail);
    if (answer.kind === 'unreachable') throw new Error(answer.detail);
    if (answer.status >= 500) throw new PushServiceError(answer.status, answer.retryAfter);
    return answer;
  }
}

/** Where a redirect pointed, by host only (a Location's path and query may carry a token). */
function whereTo(location: string | undefined): string {
  if (location === undefined) return '';
  try {
    return ` to ${new URL(location).host}`;
  } catch {
    return ' to an unreadable location';
  }
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
