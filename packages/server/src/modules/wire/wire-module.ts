import type { Unsubscribe } from '../../platform/bus/bus.js';
import type { KaifModule } from '../module.js';
import type { WireApi } from './api.js';
import { PacketActions } from './packet-actions.js';
import { followRevocations } from './session-revocations.js';
import { TcpListener } from './tcp-listener.js';
import { UdpListener } from './udp-listener.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import { DEFAULT_WIRE_LIMITS, type WireLimits } from './wire-limits.js';
import { WireMetrics } from './wire-metrics.js';

export interface WireModuleOptions {
  /** Overrides of DEFAULT_WIRE_LIMITS and the configured connection cap; the drain bound defaults to 60 % of KAIF_SHUTDOWN_TIMEOUT_MS, at most 5 s. */
  readonly limits?: Partial<WireLimits>;
}

const MAX_CACHED_TOKENS = 100_000;

/**
 * CosmicProto over TCP (`TCP_PORT`) and UDP (`UDP_PORT`), the original
 * Messaging Layer protocol, on top of identity, messaging and realtime: the
 * same accounts, chats and acknowledgements as the HTTP API and the WebSocket
 * gateway. A TCP connection is a codec on a realtime session, so it follows
 * the same rules (budget, typing throttle, presence, per-chat subscriptions,
 * feed cursor) as every other transport. Stateless across nodes.
 */
export function createWireModule(options: WireModuleOptions = {}): KaifModule {
  return {
    name: 'wire',
    dependsOn: ['identity', 'messaging', 'realtime'],
    async init(context) {
      const { config, bus, logger } = context;
      const limits: WireLimits = {
        ...DEFAULT_WIRE_LIMITS,
        maxConnectionsPerIp: config.KAIF_TCP_CONNECTIONS_PER_IP,
        drainTimeoutMs: Math.min(DEFAULT_WIRE_LIMITS.drainTimeoutMs, Math.floor(config.KAIF_SHUTDOWN_TIMEOUT_MS * 0.6)),
        ...options.limits,
      };
      const identity = context.service('identity');
      const messaging = context.service('messaging');
      const metrics = new WireMetrics(context.registry);
      const realtime = context.service('realtime');
      const actions = new PacketActions(messaging, logger);
      const tokens = new VerifiedTokenCache(identity, limits.udpTokenCacheMs, MAX_CACHED_TOKENS);
      const tcp = new TcpListener({ sessions: realtime, actions, metrics, limits, logger });
      const udp = new UdpListener({ realtime, tokens, metrics, limits, logger });
      let ports: ReturnType<WireApi['ports']> = { tcp: null, udp: null };
      let stopFollowing: Unsubscribe | undefined;

      const api: WireApi = { ports: () => ports };
      return {
        api,
        checks: context.roles.has('wire')
          ? [
              {
                name: 'wire',
                essential: true,
                async check() {
                  return tcp.listening && udp.listening
                    ? { status: 'up', detail: `tcp ${ports.tcp}, udp ${ports.udp}` }
                    : { status: 'down', detail: 'CosmicProto ports are not listening' };
                },
              },
            ]
          : [],
        listeners: {
          wire: {
            async open() {
              // TCP sessions hear of their own revocation; the UDP token cache must forget revoked tokens too.
              stopFollowing = followRevocations(bus, (revoked) => tokens.forget(revoked));
              await bus.check();
              let tcpPort: number;
              let udpPort: number;
              try {
                tcpPort = await tcp.open(config.HOST, config.TCP_PORT);
                udpPort = await udp.open(config.HOST, config.UDP_PORT);
              } catch (error) {
                await Promise.all([tcp.close(), udp.close()]);
                stopFollowing();
                throw error;
              }
              ports = { tcp: tcpPort, udp: udpPort };
              context.announcePort('tcp', tcpPort);
              context.announcePort('udp', udpPort);
              logger.info({ host: config.HOST, tcpPort, udpPort }, 'CosmicProto listening');
            },
            async close() {
              await Promise.all([tcp.close(), udp.close()]);
              stopFollowing?.();
              ports = { tcp: null, udp: null };
            },
          },
        },
      };
    },
  };
}

export const wireModule = createWireModule();
