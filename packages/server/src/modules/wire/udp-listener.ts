import { type RemoteInfo, type Socket, createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { type Framing, type ServerPacket, detectFraming, parseClientPacket } from '@kaif/protocol';
import type { Principal } from '../../platform/http/principal.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { RealtimeApi } from '../realtime/api.js';
import { packetCost } from './packet-budget.js';
import { type RateDecision, SourceRateLimiter } from './source-rate-limiter.js';
import { decodeDatagram, encodeDatagram } from './udp-datagram.js';
import type { VerifiedTokenCache } from './verified-token-cache.js';
import { type WireCode, codeOf, refusal, refusalOf, refusedCode } from './wire-errors.js';
import type { WireLimits } from './wire-limits.js';
import type { WireMetrics } from './wire-metrics.js';

export interface UdpContext {
  /** The session layer's budget and typing throttle, for datagrams that carry their own token. */
  readonly realtime: Pick<RealtimeApi, 'chargeUser' | 'announceTyping' | 'announceStatus'>;
  readonly tokens: VerifiedTokenCache;
  readonly metrics: WireMetrics;
  readonly limits: WireLimits;
  readonly logger: Logger;
}

const MAX_SOURCES = 100_000;

/**
 * The CosmicProto UDP port, for Ping, Status and Typing. Each datagram is one
 * packet carrying its own `token`, and gets at most one datagram back: `Pong`
 * for Ping, nothing for a Status or Typing that worked, `Ack {success:
 * false}` or `Error` otherwise.
 *
 * Against reflection attacks with a forged source address, a datagram whose
 * token was not verified is never answered with more bytes than it carried
 * (a larger reply is left out), and each source address has a rate limit:
 * beyond it datagrams are dropped, the first one answered with FLOOD_WAIT.
 * That limit is per node and in memory because a source address is cheap to
 * forge: charging it to the shared per-IP budget would let anyone spend a
 * victim's. A datagram whose token verified draws on its user's budget, like
 * a TCP packet; over it, it gets `Ack {error: FLOOD_WAIT, retry_after}`.
 */
export class UdpListener {
  private socket: Socket | undefined;
  private readonly limiter: SourceRateLimiter;
  private inFlight = 0;
  private closing = false;
  private whenIdle: (() => void) | undefined;

  constructor(private readonly context: UdpContext) {
    const { limits } = context;
    this.limiter = new SourceRateLimiter(limits.udpRatePerSecond, limits.udpBurst, MAX_SOURCES);
  }

  get listening(): boolean {
    return this.socket !== undefined && !this.closing;
  }

  /** Resolves with the bound port. */
  async open(host: string, port: number): Promise<number> {
    const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
    socket.on('message', (datagram, from) => this.onDatagram(datagram, from));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: host, port }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', (error) => this.context.logger.error({ err: error }, 'wire UDP socket error'));
    this.socket = socket;
    return socket.address().port;
  }

  /** Stops taking datagrams, lets those being handled finish (bounded), closes the port. */
  async close(): Promise<void> {
    const socket = this.socket;
    if (!socket || this.closing) return;
    this.closing = true;
    if (this.inFlight > 0) {
      const idle = new Promise<void>((resolve) => {
        this.whenIdle = resolve;
      });
      const timeout = new AbortController();
      await Promise.race([idle, delay(this.context.limits.drainTimeoutMs, undefined, { signal: timeout.signal }).catch(() => {})]);
      timeout.abort();
    }
    this.socket = undefined;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private onDatagram(datagram: Buffer, from: RemoteInfo): void {
    const { limits } = this.context;
    if (this.closing) return;
    if (datagram.length === 0 || datagram.length > limits.maxDatagramBytes) {
      this.dropped('PACKET_TOO_LARGE');
      return;
    }
    void this.limiter.take(from.address).then((decision) => this.admit(datagram, from, decision));
  }

  private admit(datagram: Buffer, from: RemoteInfo, decision: RateDecision): void {
    const { metrics, limits } = this.context;
    if (this.closing) return;
    metrics.connections.set({ transport: 'udp' }, this.limiter.size);
    if (!decision.allowed) {
      this.dropped('FLOOD_WAIT');
      if (decision.tellSource) {
        const wait = decision.retryAfterSeconds;
        const packet: ServerPacket = {
          packet_type: 'Error',
          error: { code: 'FLOOD_WAIT', message: `retry in ${wait} s`, retry_after: wait },
        };
        this.reply(packet, detectFraming(datagram[0]!), from, datagram.length);
      }
      return;
    }
    if (this.inFlight >= limits.maxUdpInFlight) {
      this.dropped('OVERLOADED');
      return;
    }
    this.inFlight++;
    void this.handle(datagram, from).finally(() => {
      this.inFlight--;
      if (this.inFlight === 0) this.whenIdle?.();
    });
  }

  private async handle(datagram: Buffer, from: RemoteInfo): Promise<void> {
    const { metrics, realtime, tokens, logger } = this.context;
    const decoded = decodeDatagram(datagram);
    const unverified = datagram.length;
    if (!decoded.ok) {
      metrics.packetsReceived.inc({ transport: 'udp', type: 'invalid' });
      metrics.errors.inc({ transport: 'udp', code: 'MALFORMED_PACKET' });
      this.reply({ packet_type: 'Error', error: { code: 'MALFORMED_PACKET', message: decoded.message } }, decoded.framing, from, unverified);
      return;
    }
    const { framing } = decoded;
    const parsed = parseClientPacket(decoded.value);
    if (!parsed.ok) {
      this.refuse(parsed.error.code, framing, from, unverified);
      metrics.packetsReceived.inc({ transport: 'udp', type: 'invalid' });
      return;
    }
    const packet = parsed.packet;
    metrics.packetsReceived.inc({ transport: 'udp', type: packet.packet_type });
    if (packet.token === undefined) {
      this.refuse('AUTH_REQUIRED', framing, from, unverified);
      return;
    }
    let principal: Principal;
    try {
      principal = await tokens.principalOf(packet.token);
    } catch (error) {
      this.refuse(codeOf(error, logger), framing, from, unverified);
      return;
    }
    try {
      await realtime.chargeUser(principal.userId, packetCost(packet));
    } catch (error) {
      const refused = refusalOf(error, logger);
      metrics.errors.inc({ transport: 'udp', code: refusedCode(refused) ?? 'INTERNAL' });
      this.reply(refused, framing, from, Number.POSITIVE_INFINITY);
      return;
    }
    switch (packet.packet_type) {
      case 'Ping':
        this.reply({ packet_type: 'Pong' }, framing, from, Number.POSITIVE_INFINITY);
        return;
      case 'Status':
        await realtime.announceStatus(principal.userId, packet.status_data);
        return;
      case 'Typing':
        await realtime.announceTyping(principal.userId, packet.chat_id).catch((error: unknown) => {
          this.refuse(codeOf(error, logger), framing, from, Number.POSITIVE_INFINITY);
        });
        return;
      default:
        this.refuse('TCP_REQUIRED', framing, from, Number.POSITIVE_INFINITY);
    }
  }

  private refuse(code: WireCode, framing: Framing, to: RemoteInfo, budget: number): void {
    this.context.metrics.errors.inc({ transport: 'udp', code });
    this.reply(refusal(code), framing, to, budget);
  }

  /** Counted, never decoded: too large, over the rate, or over the in-flight bound. */
  private dropped(code: string): void {
    this.context.metrics.packetsReceived.inc({ transport: 'udp', type: 'dropped' });
    this.context.metrics.errors.inc({ transport: 'udp', code });
  }

  /** Sends at most `budget` bytes; a larger reply is left out. */
  private reply(packet: ServerPacket, framing: Framing, to: RemoteInfo, budget: number): void {
    const bytes = encodeDatagram(packet, framing);
    if (bytes.length > budget || !this.socket) {
      this.context.metrics.errors.inc({ transport: 'udp', code: 'REPLY_OMITTED' });
      return;
    }
    this.socket.send(bytes, to.port, to.address);
    this.context.metrics.packetsSent.inc({ transport: 'udp', type: packet.packet_type });
  }
}
