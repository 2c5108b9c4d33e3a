/** Where a notification goes: a Web Push subscription (RFC 8030), as the browser gave it. */
export interface PushTarget {
  readonly endpoint: string;
  readonly keys: { readonly p256dh: string; readonly auth: string };
}

export interface PushMessage {
  /** The JSON the service worker receives (encrypted on the way, RFC 8291). */
  readonly payload: string;
  /** RFC 8030 Topic: a newer message with the same topic replaces an undelivered older one at the push service. */
  readonly topic: string;
  /** Seconds the push service keeps it for an offline device. */
  readonly ttlSeconds: number;
}

/** What the push service made of it. */
export type PushOutcome =
  | { readonly kind: 'accepted'; readonly attempts: number }
  /** 404/410: the subscription is gone for good; forget it. */
  | { readonly kind: 'gone'; readonly status: number }
  | { readonly kind: 'failed'; readonly detail: string };

/**
 * One way of reaching a device. Web Push (`WebPushTransport`) is the one
 * built. Mobile platforms are seams behind the same interface, not built:
 * an FCM transport would POST `{message: {token, data, android: {collapse_key:
 * topic}}}` to the HTTP v1 API with an OAuth2 service-account token and map
 * `UNREGISTERED` to `gone`; an APNs transport would speak HTTP/2 with a
 * JWT (ES256, team and key id), `apns-collapse-id: topic`, and map 410
 * `Unregistered` to `gone`. Either would sit behind its own
 * `ctx.policyFor(...)`, and subscriptions would gain a `kind` column to
 * pick the transport.
 */
export interface PushTransport {
  /** Never throws: every failure is an outcome, after the transport's own retries. */
  send(target: PushTarget, message: PushMessage): Promise<PushOutcome>;
}
