import { Gauge } from 'prom-client';
import type { MessagingApi } from '../messaging/api.js';
import type { ModuleContext } from '../module.js';
import { DeliveryLedger } from './delivery-ledger.js';
import { DeliveryReceipts } from './delivery-receipts.js';
import { EndpointGuard } from './endpoint-guard.js';
import { NewMessageConsumer } from './new-message-consumer.js';
import { DEFAULT_DISPATCH, type DispatchOptions, PushDispatcher } from './push-dispatcher.js';
import { type PushSender, createPushSender } from './push-sender-pool.js';
import { DEFAULT_TRACKED_ORIGINS, PushServicePolicies } from './push-service-policies.js';
import type { PushTables } from './push-tables.js';
import { RecipientPreferences } from './recipient-preferences.js';
import { SubscriptionStore } from './subscription-store.js';
import { type VapidKeys, loadVapidKeys } from './vapid-keys.js';
import { DEFAULT_RETRY, type RetryOptions, WebPushTransport } from './web-push-transport.js';

export interface PushOptions {
  /** The cap per second comes from `maxPerSecond` below. */
  readonly dispatch: Omit<DispatchOptions, 'maxPerSecond'>;
  readonly retry: RetryOptions;
  /** How long the delivery ledger keeps a message's rows. */
  readonly ledgerTtlMs: number;
  /** Members read per page when fanning out one message. */
  readonly pageSize: number;
  /** Messages older than this when the worker gets to them are not pushed. */
  readonly maxEventAgeMs: number;
  /** Push-service origins with a breaker of their own (PushServicePolicies). */
  readonly trackedOrigins: number;
  /** Added to the sender threads' nice value (KAIF_PUSH_SENDER_THREADS sets how many). */
  readonly senderNice: number;
  /** Sender threads; unset = KAIF_PUSH_SENDER_THREADS. */
  readonly senderThreads?: number;
  /** Pushes per second this process sends at most (0: no cap); unset = KAIF_PUSH_MAX_PER_SECOND. */
  readonly maxPerSecond?: number;
}

export const DEFAULT_PUSH_OPTIONS: PushOptions = {
  dispatch: DEFAULT_DISPATCH,
  retry: DEFAULT_RETRY,
  ledgerTtlMs: 24 * 3600_000,
  pageSize: 1000,
  maxEventAgeMs: 15 * 60_000,
  trackedOrigins: DEFAULT_TRACKED_ORIGINS,
  senderNice: 5,
};

/** Everything the push module's routes and worker use. */
export interface PushServices {
  readonly vapid: VapidKeys;
  readonly guard: EndpointGuard;
  readonly subscriptions: SubscriptionStore;
  readonly preferences: RecipientPreferences;
  readonly receipts: DeliveryReceipts;
  readonly ledger: DeliveryLedger;
  readonly dispatcher: PushDispatcher;
  readonly transport: WebPushTransport;
  readonly policies: PushServicePolicies;
  readonly sender: PushSender;
  /**
   * Gets the sender threads ready ahead of the first push (starting one costs
   * ~1 s of CPU: tsx and the sender's imports), in a process with the worker
   * role only: when the worker opens with subscriptions in the table, or
   * when this process takes a subscription. A worker that opens with none
   * starts them at the first push, which waits for it.
   */
  readonly senderWanted: () => void;
  readonly consumer: NewMessageConsumer;
  readonly messaging: Pick<MessagingApi, 'assertMember'>;
}

export async function createPushServices(ctx: ModuleContext, options: PushOptions): Promise<PushServices> {
  const db = ctx.db.kysely<PushTables>();
  const vapid = await loadVapidKeys(db, ctx.secrets, ctx.config);
  const allowOrigins = ctx.config.KAIF_PUSH_ALLOW_ORIGINS?.split(',') ?? [];
  const guard = new EndpointGuard(ctx.config.KAIF_PUSH_ALLOW_PRIVATE_HOSTS, undefined, allowOrigins);
  const subscriptions = new SubscriptionStore(db);
  const preferences = new RecipientPreferences(db);
  const receipts = new DeliveryReceipts(vapid.privateKey);
  const ledger = new DeliveryLedger(db, ctx.registry, options.ledgerTtlMs, ctx.logger);
  const policies = new PushServicePolicies(
    { logger: ctx.logger, registry: ctx.registry },
    { timeoutMs: ctx.config.KAIF_DEPENDENCY_TIMEOUT_MS, breakAfter: ctx.config.KAIF_BREAKER_FAILURES, halfOpenAfterMs: ctx.config.KAIF_BREAKER_HALF_OPEN_MS },
    options.trackedOrigins,
  );
  const sender = createPushSender(
    { allowPrivate: ctx.config.KAIF_PUSH_ALLOW_PRIVATE_HOSTS, allowOrigins },
    { threads: options.senderThreads ?? ctx.config.KAIF_PUSH_SENDER_THREADS, niceIncrement: options.senderNice, perThread: options.dispatch.concurrency },
  );
  const senderWanted = () => {
    if (ctx.roles.has('worker')) sender.start?.();
  };
  const transport = new WebPushTransport(vapid, guard, sender, policies, ctx.config.KAIF_DEPENDENCY_TIMEOUT_MS, options.retry);
  const dispatcher = new PushDispatcher(transport, ledger, subscriptions, receipts, ctx.kv, ctx.logger, {
    ...options.dispatch,
    maxPerSecond: options.maxPerSecond ?? ctx.config.KAIF_PUSH_MAX_PER_SECOND,
  });
  const messaging = ctx.service('messaging');
  const consumer = new NewMessageConsumer({
    db: ctx.db.kysely<unknown>(),
    messaging,
    identity: ctx.service('identity'),
    realtime: ctx.service('realtime'),
    subscriptions,
    preferences,
    ledger,
    dispatcher,
    logger: ctx.logger,
    pageSize: options.pageSize,
    maxEventAgeMs: options.maxEventAgeMs,
    onStale: () => ledger.stale(),
    intervals: { baseMs: options.dispatch.intervalMs, maxMs: options.dispatch.maxIntervalMs },
    kv: ctx.kv,
  });
  new Gauge({
    name: 'kaif_push_chats_waiting',
    help: 'Chats whose folded messages wait in this process for their next notification turn',
    registers: [ctx.registry],
    collect() {
      this.set(consumer.waitingChats);
    },
  });
  return { vapid, guard, subscriptions, preferences, receipts, ledger, dispatcher, transport, policies, sender, senderWanted, consumer, messaging };
}
