import type { IncomingMessage } from 'node:http';
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
import { SessionHub } from './session-hub.js';
import { SocketIoEndpoint } from './socket-io-endpoint.js';
import { TypingAnnouncer } from './typing-announcer.js';
import { UserChannel } from './user-channel.js';
import { clientIpOf } from './client-ip.js';

/**
 * The real-time gateway (`GET /ws`, API.md "Real time", and `/socket.io`,
 * API.md "Socket.IO"), and the session layer every client transport is a
 * codec on: live delivery with sync from a cursor, typing and presence. Nodes are stateless: fan-out
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
      const { flood, logger } = context;
      const frames = new FrameBudget(options.framesPerSecond, options.frameBurst);
      const sessions = new SessionHub({ identity, messaging, fanout, users, presence, typing, flood, metrics, options, logger, frames });
      const endpointDeps = {
        sessions,
        metrics,
        options,
        logger,
        http: context.http,
        originAllowed: createOriginPolicy(context.config.KAIF_ALLOWED_ORIGINS),
        flood,
        clientIpOf: (request: IncomingMessage) => clientIpOf(request, context.config.KAIF_TRUST_PROXY),
        isDraining: context.isDraining,
      };
      // Presence is refreshed by the session hub, for every transport's sessions.
      const gateway = new Gateway({ ...endpointDeps, onHeartbeat: () => undefined });
      const socketIo = new SocketIoEndpoint(endpointDeps);
      const api: RealtimeApi = {
        open: (sink, client) => sessions.open(sink, client),
        presenceOf: (userIds) => presence.presenceOf(userIds),
        announceStatus: (userId, status) => presence.announceStatus(userId, status),
        announceTyping: (userId, chatId) => sessions.announceTyping(userId, chatId),
        chargeUser: (userId, points) => sessions.chargeUser(userId, points),
      };
      sessions.start();
      return {
        api,
        async stop() {
          sessions.stop();
        },
        listeners: {
          api: {
            async open() {
              registerPresenceRoutes(context.http, presence, identity, messaging);
            },
          },
          realtime: {
            async open() {
              gateway.open();
              socketIo.open();
            },
            async close() {
              await Promise.all([gateway.close(), socketIo.close()]);
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
