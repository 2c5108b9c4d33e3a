import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  type ChatId,
  type ClientPacket,
  type PacketConnection,
  type ReaderItem,
  type ServerPacket,
  createPacketReader,
  parseClientPacket,
} from '@kaif/protocol';
import type { FloodLimits } from '../../platform/flood/flood-limits.js';
import type { Principal } from '../../platform/http/principal.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { IdentityApi } from '../identity/api.js';
import type { LiveRouter, LiveWatcher } from './live-router.js';
import type { PacketActions } from './packet-actions.js';
import { ConnectionBudget } from './packet-budget.js';
import { codeOf, refusal, refusedCode } from './wire-errors.js';
import type { WireLimits } from './wire-limits.js';
import type { WireMetrics } from './wire-metrics.js';

export interface TcpConnectionContext {
  readonly identity: IdentityApi;
  readonly actions: PacketActions;
  readonly router: LiveRouter;
  readonly metrics: WireMetrics;
  readonly limits: WireLimits;
  /** The per-user and per-IP budgets shared with HTTP and WebSocket. */
  readonly flood: FloodLimits;
  readonly logger: Logger;
}

/** Bytes already queued for a closing peer get this long to leave before the socket is destroyed. */
const LINGER_MS = 1_000;
const ACK_OK: ServerPacket = { packet_type: 'Ack', success: true };

/**
 * One CosmicProto TCP connection. The framing (JSON or MessagePack) is chosen
 * by the first byte. Sends are pipelined: many are in flight at once (they
 * share the batcher's transactions), and their Acks, like every reply, leave
 * in the order their packets came; two messages sent on one connection are
 * stored in that order (a chat's sends queue in one batcher lane). Other
 * packets wait for the replies before them. Every packet that decodes gets exactly
 * one reply; bytes that do not decode get an `Error`, and when the stream can
 * no longer be framed the connection closes. Pushed packets (`NewMessage`,
 * `Typing`, `Status`, `Error`) may come between replies. A packet over its
 * sender's flood budget is answered `Ack {error: FLOOD_WAIT, retry_after}`
 * and not acted on.
 */
export class TcpConnection {
  private wire: PacketConnection | undefined;
  private watcher: LiveWatcher | undefined;
  private readonly queue: ReaderItem[] = [];
  /** Sends started and not yet answered, oldest first; each settles after the one before it. */
  private readonly inFlight: Promise<void>[] = [];
  private working = false;
  private idleWaiters: (() => void)[] = [];
  private authFailures = 0;
  private state: 'open' | 'draining' | 'closing' | 'closed' = 'open';
  private readonly idleTimer: NodeJS.Timeout;
  private readonly authTimer: NodeJS.Timeout;
  private readonly logger: Logger;
  private readonly budget: ConnectionBudget;
  /** Resolves once the socket has closed and the connection let go of everything. */
  readonly closed: Promise<void>;

  constructor(
    private readonly socket: Socket,
    private readonly context: TcpConnectionContext,
  ) {
    const { limits, metrics } = context;
    this.logger = context.logger.child({ remote: `${socket.remoteAddress}:${socket.remotePort}` });
    this.budget = new ConnectionBudget(context.flood, socket.remoteAddress ?? 'unknown');
    metrics.connections.inc({ transport: 'tcp' });
    this.idleTimer = setTimeout(() => this.close('idle'), limits.idleTimeoutMs);
    this.authTimer = setTimeout(() => {
      if (!this.watcher) this.fail('AUTH_REQUIRED', `authenticate within ${limits.authTimeoutMs} ms`);
    }, limits.authTimeoutMs);
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.state = 'closed';
        clearTimeout(this.idleTimer);
        clearTimeout(this.authTimer);
        if (this.watcher) context.router.unwatch(this.watcher);
        metrics.connections.dec({ transport: 'tcp' });
        this.logger.debug({ userId: this.watcher?.principal.userId }, 'wire connection closed');
        resolve();
      });
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // The peer finished writing: answer what it sent, then close our side.
    socket.once('end', () => void this.whenIdle().then(() => this.close('peer ended')));
    socket.on('error', (error) => this.logger.debug({ err: error.message }, 'wire connection error'));
  }

  /** Shutdown: stop reading, finish the packets already received, tell the client, close. */
  async drain(): Promise<void> {
    if (this.state !== 'open') return this.closed;
    this.state = 'draining';
    this.socket.pause();
    await this.whenIdle();
    this.send({ packet_type: 'Error', error: { code: 'NOT_READY', message: 'The server is shutting down; reconnect' } });
    this.close('draining');
    return this.closed;
  }

  /** Closes at once; for what is left after a drain ran out of time. */
  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.state !== 'open' && this.state !== 'draining') return;
    this.idleTimer.refresh();
    if (this.wire) this.wire.reader.push(chunk);
    else this.wire = createPacketReader(chunk, { maxPacketBytes: this.context.limits.maxPacketBytes });
    this.queue.push(...this.wire.reader.drain());
    if (this.queue.length >= this.context.limits.maxQueuedPackets) this.socket.pause();
    void this.work();
  }

  private async work(): Promise<void> {
    if (this.working) return;
    this.working = true;
    try {
      do {
        for (let item = this.queue.shift(); item; item = this.queue.shift()) {
          if (this.state === 'closing' || this.state === 'closed') break;
          const parsed = item.kind === 'packet' ? parseClientPacket(item.value) : item;
          if (this.watcher && 'ok' in parsed && parsed.ok && parsed.packet.packet_type === 'SendMessage') {
            await this.pipelineSend(parsed.packet, this.watcher.principal);
          } else {
            // Anything else waits for the sends before it, so replies keep packet order.
            await this.inFlight.at(-1);
            await this.handle(parsed);
          }
          if (this.state === 'open' && this.socket.isPaused() && this.queue.length <= this.context.limits.maxQueuedPackets / 2) {
            this.socket.resume();
          }
        }
        await this.inFlight.at(-1);
      } while (this.queue.length > 0 && this.state !== 'closing' && this.state !== 'closed');
    } finally {
      this.working = false;
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /**
   * Starts a send at once — the batcher commits many together — and queues
   * its Ack behind the replies before it. At most `maxSendsInFlight` wait;
   * the next waits for the oldest.
   */
  private async pipelineSend(packet: Extract<ClientPacket, { packet_type: 'SendMessage' }>, principal: Principal): Promise<void> {
    const { metrics, limits } = this.context;
    metrics.packetsReceived.inc({ transport: 'tcp', type: packet.packet_type });
    if (this.inFlight.length >= limits.maxSendsInFlight) await this.inFlight[0];
    const started = performance.now();
    // Refused at once when the server has no room; otherwise charged in
    // packet order (the store answers in that order, so the sends reach
    // their batcher lane in it too).
    const ack = !this.context.actions.admitsSend(packet.message.chat_id as ChatId)
      ? Promise.resolve(this.refusalCounted('DEPENDENCY_UNAVAILABLE', packet.client_msg_id, 1))
      : this.budget
          .charge(principal.userId, packet)
          .then((wait) => (wait > 0 ? this.refusalCounted('FLOOD_WAIT', packet.client_msg_id, wait) : this.answer(packet, principal)));
    const previous = this.inFlight.at(-1);
    const replied: Promise<void> = (async () => {
      const reply = await ack.catch((error: unknown) => this.refusalCounted(codeOf(error, this.logger), packet.client_msg_id));
      await previous;
      metrics.ackSeconds.observe({ transport: 'tcp' }, (performance.now() - started) / 1000);
      this.send(reply);
      this.inFlight.shift();
    })();
    this.inFlight.push(replied);
  }

  private whenIdle(): Promise<void> {
    if (!this.working && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async handle(parsed: ReturnType<typeof parseClientPacket> | Extract<ReaderItem, { kind: 'error' }>): Promise<void> {
    const { metrics } = this.context;
    if ('kind' in parsed) {
      metrics.packetsReceived.inc({ transport: 'tcp', type: 'invalid' });
      if (parsed.fatal) this.fail(parsed.code, parsed.message);
      else this.sendError(parsed.code, parsed.message);
      return;
    }
    if (!parsed.ok) {
      metrics.packetsReceived.inc({ transport: 'tcp', type: 'invalid' });
      metrics.errors.inc({ transport: 'tcp', code: parsed.error.code });
      this.send(refusal(parsed.error.code));
      return;
    }
    const packet = parsed.packet;
    metrics.packetsReceived.inc({ transport: 'tcp', type: packet.packet_type });
    const clientMsgId = packet.packet_type === 'SendMessage' ? packet.client_msg_id : undefined;
    const wait = await this.budget.charge(this.watcher?.principal.userId, packet);
    if (wait > 0) this.refuse('FLOOD_WAIT', clientMsgId, wait);
    else if (this.watcher) this.send(await this.answer(packet, this.watcher.principal));
    else if (packet.packet_type === 'Auth') await this.authenticate(packet.token);
    else this.refuse('AUTH_REQUIRED', clientMsgId);
  }

  private async answer(packet: ClientPacket, principal: Principal): Promise<ServerPacket> {
    const { actions, metrics, logger } = this.context;
    switch (packet.packet_type) {
      case 'Auth':
        return this.refusalCounted('ALREADY_AUTHENTICATED');
      case 'SendMessage':
        return this.countRefusal(await actions.sendMessage(principal.userId, packet));
      case 'GetMessages':
        return this.countRefusal(await actions.getMessages(principal.userId, packet));
      case 'Ping':
        return { packet_type: 'Pong' };
      case 'Status':
        await actions.setStatus(principal.userId, packet.status_data);
        return ACK_OK;
      case 'Typing':
        try {
          await actions.typing(principal.userId, packet.chat_id);
          return ACK_OK;
        } catch (error) {
          return this.refusalCounted(codeOf(error, logger));
        }
    }
  }

  /**
   * A wrong token keeps the connection for a retry (the client may refresh
   * its token), up to `maxAuthAttempts`. Pushes start before the Ack, so
   * nothing committed after the Ack is missed.
   */
  private async authenticate(token: string): Promise<void> {
    const { identity, router, limits, logger } = this.context;
    let principal: Principal;
    try {
      principal = await identity.authenticate(token);
    } catch (error) {
      const code = codeOf(error, logger);
      if (code === 'TOKEN_INVALID') this.authFailures++;
      this.refuse(code);
      if (this.authFailures >= limits.maxAuthAttempts) this.close('too many failed Auth packets');
      return;
    }
    const watcher: LiveWatcher = {
      principal,
      push: (packet) => this.send(packet),
      revoke: () => this.fail('TOKEN_INVALID', 'The session was signed out'),
    };
    try {
      await router.watch(watcher);
    } catch (error) {
      router.unwatch(watcher);
      this.refuse(codeOf(error, logger));
      return;
    }
    if (this.state === 'closing' || this.state === 'closed') {
      router.unwatch(watcher);
      return;
    }
    this.watcher = watcher;
    clearTimeout(this.authTimer);
    this.logger.debug({ userId: principal.userId, sessionId: principal.sessionId }, 'wire connection authenticated');
    this.send(ACK_OK);
  }

  private countRefusal(packet: ServerPacket): ServerPacket {
    const code = refusedCode(packet);
    if (code !== undefined) this.context.metrics.errors.inc({ transport: 'tcp', code });
    return packet;
  }

  private refusalCounted(code: Parameters<typeof refusal>[0], clientMsgId?: string, retryAfter?: number): ServerPacket {
    this.context.metrics.errors.inc({ transport: 'tcp', code });
    return refusal(code, clientMsgId, retryAfter);
  }

  private refuse(code: Parameters<typeof refusal>[0], clientMsgId?: string, retryAfter?: number): void {
    this.send(this.refusalCounted(code, clientMsgId, retryAfter));
  }

  private sendError(code: Parameters<typeof refusal>[0], message: string): void {
    this.context.metrics.errors.inc({ transport: 'tcp', code });
    this.send({ packet_type: 'Error', error: { code, message } });
  }

  /** Tells the client why, then closes. */
  private fail(code: Parameters<typeof refusal>[0], message: string): void {
    this.sendError(code, message);
    this.close(code);
  }

  /**
   * Writes one packet. A peer that lets more than `maxWriteBufferBytes` of
   * replies pile up is dropped rather than buffered without bound.
   */
  private send(packet: ServerPacket): void {
    if (!this.wire || this.state === 'closing' || this.state === 'closed' || this.socket.destroyed) return;
    const { metrics, limits } = this.context;
    this.socket.write(this.wire.encode(packet));
    metrics.packetsSent.inc({ transport: 'tcp', type: packet.packet_type });
    if (this.socket.writableLength > limits.maxWriteBufferBytes) {
      metrics.errors.inc({ transport: 'tcp', code: 'SLOW_READER' });
      this.logger.info({ userId: this.watcher?.principal.userId, buffered: this.socket.writableLength }, 'dropping a slow reader');
      this.socket.destroy();
    }
  }

  /** Flushes what is queued, then closes; destroys the socket if the peer does not take it within LINGER_MS. */
  private close(reason: string): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'closing';
    this.logger.debug({ reason }, 'closing wire connection');
    this.socket.pause();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), LINGER_MS).unref();
  }
}
