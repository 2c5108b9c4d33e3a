import { createHash } from 'node:crypto';
import type { UserId } from '@kaif/protocol';
import type { BusPayload, Unsubscribe } from '../../platform/bus/bus.js';
import type { SessionsRevokedEvent } from '../identity/api.js';
import type { KaifModule, ModuleInstance } from '../module.js';
import type { PushApi } from './api.js';
import { registerLedgerRoutes } from './ledger-routes.js';
import { registerMuteRoutes } from './mute-routes.js';
import { NEW_MESSAGE_CONSUMER } from './new-message-consumer.js';
import { registerPushRoutes } from './push-routes.js';
import { DEFAULT_PUSH_OPTIONS, type PushOptions, createPushServices } from './push-services.js';
import { type PushTables, pushMigrations } from './push-tables.js';
import { pushSealedSamples } from './vapid-keys.js';

const REVOCATION_CONSUMER = 'push-session-revocations';
const LEDGER_PURGE_MS = 10 * 60_000;
/**
 * Notifications are about now: a consumer created when push is first
 * switched on starts at new events, not the stream's history, and one no
 * worker read for an hour is dropped by the bus (older events would be
 * stale anyway, see `maxEventAgeMs`).
 */
const CONSUME_OPTIONS = { startAt: 'new', forgetAfterMs: 3600_000 } as const;

/**
 * Durable consumer names are per deployment (suffixed with a digest of its
 * VAPID public key, which every deployment generates for itself), so
 * deployments or test servers sharing one NATS never take each other's
 * events.
 */
const consumerName = (base: string, vapidPublicKey: string) =>
  `${base}-${createHash('sha256').update(vapidPublicKey).digest('hex').slice(0, 12)}`;

/**
 * Web Push to members who are offline (README.md beside this file): the
 * API role serves subscriptions, mutes and settings; the worker role
 * consumes new messages and session revocations from the durable stream
 * and sends through the push dispatcher, off every send's path.
 */
export function createPushModule(overrides: Partial<PushOptions> = {}): KaifModule {
  const options = { ...DEFAULT_PUSH_OPTIONS, ...overrides };
  return {
    name: 'push',
    migrations: pushMigrations,
    sealedSamples: (db) => pushSealedSamples(db.kysely<PushTables>()),
    dependsOn: ['identity', 'messaging', 'realtime'],
    async init(ctx): Promise<ModuleInstance<PushApi>> {
      const services = await createPushServices(ctx, options);
      const consumers: Unsubscribe[] = [];
      let purgeTimer: NodeJS.Timeout | undefined;
      const stopWorker = async () => {
        for (const stop of consumers.splice(0)) stop();
        clearInterval(purgeTimer);
        services.consumer.stop();
        await services.dispatcher.stop();
      };
      return {
        api: { mutedUntil: (userId, chatId) => services.preferences.mutedUntil(userId, chatId) },
        breakers: () => services.policies.breakers(),
        async stop() {
          await stopWorker();
          await services.transport.close();
        },
        listeners: {
          api: {
            async open() {
              registerPushRoutes(ctx.http, services);
              registerMuteRoutes(ctx.http, services);
              registerLedgerRoutes(ctx.http, services);
            },
          },
          worker: {
            async open() {
              if (await services.subscriptions.any()) services.senderWanted();
              const key = services.vapid.publicKey;
              consumers.push(
                await ctx.bus.consume(consumerName(NEW_MESSAGE_CONSUMER, key), 'kaif.ev.chat.*', services.consumer.handle, CONSUME_OPTIONS),
              );
              consumers.push(
                await ctx.bus.consume(
                  consumerName(REVOCATION_CONSUMER, key),
                  'kaif.ev.user.*.sessions',
                  async (payload: BusPayload) => {
                    const body = (payload as { body?: SessionsRevokedEvent } | null)?.body;
                    if (body?.type !== 'sessions.revoked') return;
                    await services.subscriptions.forgetSessions(body.userId as UserId, body.sessionIds);
                  },
                  CONSUME_OPTIONS,
                ),
              );
              purgeTimer = setInterval(() => {
                services.ledger.purge().catch((error: unknown) => ctx.logger.warn({ err: (error as Error).message }, 'could not purge the push ledger'));
              }, LEDGER_PURGE_MS);
              purgeTimer.unref();
            },
            close: stopWorker,
          },
        },
      };
    },
  };
}

export const pushModule = createPushModule();
