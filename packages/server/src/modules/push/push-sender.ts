import { Agent, request } from 'undici';
import webpush from 'web-push';
import { KaifError } from '../../platform/http/kaif-error.js';
import { EndpointGuard } from './endpoint-guard.js';

/**
 * One HTTP attempt at one push service: what crosses to the sender thread.
 * Small and plain (structured clone): the VAPID header is made on the main
 * thread (cached per push service, see VapidTokens), so the private key
 * never leaves it.
 */
export interface SendJob {
  readonly endpoint: string;
  readonly keys: { readonly p256dh: string; readonly auth: string };
  /** The notification's JSON, encrypted to `keys` by the sender (RFC 8291). */
  readonly payload: string;
  readonly ttlSeconds: number;
  readonly topic: string;
  readonly authorization: string;
  /**
   * The HTTP exchange is abandoned after this long, timed by the sender from
   * when it starts: waiting for a busy (niced) sender thread is not the push
   * service being slow, and must not open its breaker.
   */
  readonly timeoutMs: number;
}

/** What became of one attempt. */
export type SendAnswer =
  /** The push service answered; only the status and two headers matter. */
  | { readonly kind: 'answered'; readonly status: number; readonly retryAfter: string | undefined; readonly location: string | undefined }
  /** The SSRF rules refused the endpoint (PUSH_ENDPOINT_REFUSED): the subscriber's doing, not the push service failing. */
  | { readonly kind: 'refused'; readonly detail: string }
  /** No answer: refused connection, reset, timeout, TLS failure. */
  | { readonly kind: 'unreachable'; readonly detail: string };

/** The rules the sender's sockets connect under (the endpoint guard's settings). */
export interface SenderSettings {
  readonly allowPrivate: boolean;
  /** Origins exempt from the address rules (development: a local push service); see EndpointGuard. */
  readonly allowOrigins: readonly string[];
}

/**
 * Encrypts the payload (RFC 8291 aes128gcm: a fresh P-256 key, ECDH and
 * HKDF per message, most of a push's CPU) and POSTs it once. Sockets
 * connect only through the endpoint guard's checking lookup, and redirects
 * are never followed (undici's `request` follows none: the 3xx comes back
 * as the answer, with its Location for the ledger). Never throws.
 */
export function createSendOne(
  settings: SenderSettings,
  guard = new EndpointGuard(settings.allowPrivate, undefined, settings.allowOrigins),
): { send(job: SendJob): Promise<SendAnswer>; close(): Promise<void> } {
  const agent = new Agent({ connect: { lookup: guard.socketLookup }, connections: 16 });
  return {
    async send(job) {
      let details: webpush.RequestDetails;
      try {
        // The literal's range again: a socket skips the lookup for an IP literal.
        guard.checkUrl(job.endpoint);
        details = webpush.generateRequestDetails({ endpoint: job.endpoint, keys: { ...job.keys } }, job.payload, {
          TTL: job.ttlSeconds,
          topic: job.topic,
          urgency: 'normal',
          contentEncoding: 'aes128gcm',
        });
      } catch (error) {
        return { kind: 'refused', detail: (error as Error).message };
      }
      try {
        const response = await request(details.endpoint, {
          method: 'POST',
          headers: { ...(details.headers as Record<string, string>), Authorization: job.authorization },
          body: details.body as Buffer,
          dispatcher: agent,
          signal: AbortSignal.timeout(job.timeoutMs),
        });
        // Only the status matters; the body is drained so the socket can be reused.
        await response.body.dump();
        return { kind: 'answered', status: response.statusCode, retryAfter: first(response.headers['retry-after']), location: first(response.headers.location) };
      } catch (error) {
        if (error instanceof KaifError && error.code === 'PUSH_ENDPOINT_REFUSED') return { kind: 'refused', detail: error.message };
        if ((error as Error).name === 'TimeoutError') return { kind: 'unreachable', detail: `push service did not answer within ${job.timeoutMs} ms` };
        return { kind: 'unreachable', detail: (error as Error).message };
      }
    },
    close: () => agent.close(),
  };
}

function first(header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header[0] : header;
}
