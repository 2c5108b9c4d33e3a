import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import webpush from 'web-push';
import type { DependencyPolicy } from '../../platform/resilience/dependency-policy.js';
import type { EndpointGuard } from './endpoint-guard.js';
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
    readonly retryAfterMs: number | undefined,
  ) {
    super(`push service answered ${status}`);
  }
}

type Answer = { readonly status: number; readonly retryAfterMs: number | undefined };

/**
 * Web Push with web-push's request builder (RFC 8291 aes128gcm payload) and
 * VAPID tokens (RFC 8292) it signs once per push service (VapidTokens), and
 * our own HTTP client: web-push's sendNotification
 * always speaks https and has no breaker. Each attempt runs through the
 * `push` dependency policy (timeout, breaker, bulkhead; shown in /health);
 * 429 and 5xx are retried with exponential backoff and full jitter, waiting
 * at least what Retry-After asks. Sockets connect only through the
 * endpoint guard's pinned lookup, and redirects are not followed.
 */
export class WebPushTransport implements PushTransport {
  private readonly agent: Agent;
  private readonly tokens: VapidTokens;

  constructor(
    vapid: VapidKeys,
    private readonly guard: EndpointGuard,
    private readonly policy: DependencyPolicy,
    private readonly retry: RetryOptions = DEFAULT_RETRY,
  ) {
    this.agent = new Agent({ connect: { lookup: guard.socketLookup }, connections: 16 });
    this.tokens = new VapidTokens(vapid);
  }

  async send(target: PushTarget, message: PushMessage): Promise<PushOutcome> {
    let details: webpush.RequestDetails;
    try {
      // The literal's range again: a socket skips the lookup for an IP literal.
      this.guard.checkUrl(target.endpoint);
      // Encrypted here (RFC 8291); the VAPID token comes from the per-audience cache.
      details = webpush.generateRequestDetails({ endpoint: target.endpoint, keys: { ...target.keys } }, message.payload, {
        TTL: message.ttlSeconds,
        topic: message.topic,
        urgency: 'normal',
        contentEncoding: 'aes128gcm',
      });
      details.headers.Authorization = this.tokens.authorizationFor(target.endpoint);
    } catch (error) {
      return { kind: 'failed', detail: (error as Error).message };
    }
    for (let attempt = 1; ; attempt++) {
      let answer: Answer;
      try {
        answer = await this.policy.execute((signal) => this.post(details, signal));
      } catch (error) {
        if (!(error instanceof PushServiceError)) return { kind: 'failed', detail: (error as Error).message };
        answer = error;
      }
      const { status } = answer;
      if (status >= 200 && status < 300) return { kind: 'accepted', attempts: attempt };
      if (status === 404 || status === 410) return { kind: 'gone', status };
      if (status >= 300 && status < 400) return { kind: 'failed', detail: `push service redirected (${status}); redirects are not followed` };
      const retryable = status === 429 || status >= 500;
      if (!retryable || attempt >= this.retry.attempts) return { kind: 'failed', detail: `push service answered ${status}` };
      const backoff = Math.random() * this.retry.baseDelayMs * 2 ** (attempt - 1);
      await sleep(Math.min(this.retry.maxDelayMs, Math.max(backoff, answer.retryAfterMs ?? 0)));
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async post(details: webpush.RequestDetails, signal: AbortSignal): Promise<Answer> {
    const response = await request(details.endpoint, {
      method: 'POST',
      headers: details.headers as Record<string, string>,
      body: details.body as Buffer,
      dispatcher: this.agent,
      signal,
    });
    // Only the status matters; the body is drained so the socket can be reused.
    await response.body.dump();
    const answer = { status: response.statusCode, retryAfterMs: retryAfterMs(response.headers['retry-after']) };
    if (answer.status >= 500) throw new PushServiceError(answer.status, answer.retryAfterMs);
    return answer;
  }
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
