import type { ChatId, UserId } from '@kaif/protocol';
import type { KaifModule } from '../module.js';
import type { RealtimeApi } from './api.js';
import { ChatFanout } from './chat-fanout.js';
import { Gateway } from './gateway.js';
import { DEFAULT_GATEWAY_OPTIONS, type GatewayOptions } from './gateway-options.js';
import { FrameBudget } from './frame-budget.js';
import { createOriginPolicy } from './origin-policy.js';
import { PresenceTracker } from './presence-tracker.js';
import { registerPresenceRoutes } from './presence-routes.js';
import { RealtimeMetrics } from './realtime-metrics.js';
import { TypingAnnouncer } from './typing-announcer.js';
import { UserChannel } from './user-channel.js';
import { clientIpOf } from './client-ip.js';

/**
 * The real-time gateway (`GET /ws`, API.md "Real time"): live delivery with
 * sync from a cursor, typing and presence. Nodes are stateless: fan-out
 * between them goes through the bus, presence and throttles live in the
 * shared key-value store, the feed in the database.
 */
export function createRealtimeModule(overrides: Partial<GatewayOptions> = {}): KaifModule {
  return {
    name: 'realtime',
    dependsOn: ['identity', 'messaging'],
    async init(context) {
      const framesPerSecond = context.config.KAIF_CONNECTION_FRAMES_PER_SECOND;
      const options: GatewayOptions = { ...DEFAULT_GATEWAY_OPTIONS, framesPerSecond, frameBurst: framesPerSecond * 2, ...overrides };
      const identity = context.service('identity');
      const messaging = context.service('messaging');
      const metrics = new RealtimeMetrics(context.registry);
      const presence = new PresenceTracker(context.kv, context.bus, messaging, identity, options.presenceTtlMs, context.logger);
      const typing = new TypingAnnouncer(context.kv, context.bus, messaging, options.typingThrottleMs);
      const fanout = new ChatFanout(context.bus, (chats) => metrics.chatSubscriptions.set(chats));
      const users = new UserChannel(context.bus);
      const gateway = new Gateway({
        identity,
        messaging,
        fanout,
        users,
        presence,
        typing,
        metrics,
        options,
        logger: context.logger,
        http: context.http,
        originAllowed: createOriginPolicy(context.config.KAIF_ALLOWED_ORIGINS),
        flood: context.flood,
        frames: new FrameBudget(options.framesPerSecond, options.frameBurst),
        clientIpOf: (request) => clientIpOf(request, context.config.KAIF_TRUST_PROXY),
        isDraining: context.isDraining,
        onHeartbeat: () => {
          presence
            .refresh(users.connectedUsers())
            .catch((error: unknown) => context.logger.warn({ err: (error as Error).message }, 'presence refresh failed'));
        },
      });
      const api: RealtimeApi = {
        presenceOf: (userIds) => presence.presenceOf(userIds),
        announceTyping: (userId: UserId, chatId: ChatId) => typing.announce(userId, chatId),
      };
      return {
        api,
        listeners: {
          api: {
            async open() {
              registerPresenceRoutes(context.http, presence, identity, messaging);
            },
          },
          realtime: {
            async open() {
              gateway.open();
            },
            async close() {
              await gateway.close();
              fanout.close();
              users.close();
            },
          },
        },
      };
    },
  };
}

export const realtimeModule = createRealtimeModule();
