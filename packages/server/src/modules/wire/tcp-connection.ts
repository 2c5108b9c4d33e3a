import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  type ClientPacket,
  type PacketConnection,
  type ReaderItem,
  type ServerPacket,
  createPacketReader,
  parseClientPacket,
} from '@kaif/protocol';
import type { ChatPresenceUpdate } from '../../platform/bus/live-subjects.js';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { Logger } from '../../platform/logging/logger.js';
import { corkUntilTurnEnds } from '../../platform/net/turn-corking.js';
import type { ChatEvent, Message } from '../messaging/api.js';
import type { RealtimeApi, RealtimeSession, SessionEnd, SessionSink, TypingNotice } from '../realtime/api.js';
import type { PacketActions } from './packet-actions.js';
import { packetCost } from './packet-budget.js';
import { codeOf, refusal, refusalOf, refusedCode } from './wire-errors.js';
import { toWireMessage } from './wire-message.js';
import type { WireLimits } from './wire-limits.js';
import type { WireMetrics } from './wire-metrics.js';

export interface TcpConnectionContext {
  /** Opens the session this connection is a codec on: auth, budget, subscriptions, presence, typing. */
  readonly sessions: Pick<RealtimeApi, 'open' | 'announceStatus'>;
  readonly actions: PacketActions;
  readonly metrics: WireMetrics;
  readonly limits: WireLimits;
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
 *
 * The rules are the session's (realtime/session.ts): this class only turns
 * packets into session calls and session events into packets. After Auth the
 * session follows the user's feed from that moment, so pushed NewMessages
 * arrive once each, in feed order, with no gap.
 */
export class TcpConnection implements SessionSink {
  private wire: PacketConnection | undefined;
  private readonly session: RealtimeSession;
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
  /** Resolves once the socket has closed and the connection let go of everything. */
  readonly closed: Promise<void>;

  constructor(
    private readonly socket: Socket,
    private readonly context: TcpConnectionContext,
  ) {
    const { limits, metrics } = context;
    this.logger = context.logger.child({ remote: `${socket.remoteAddress}:${socket.remotePort}` });
    this.session = context.sessions.open(this, { transport: 'tcp', address: socket.remoteAddress ?? 'unknown' });
    metrics.connections.inc({ transport: 'tcp' });
    this.idleTimer = setTimeout(() => this.close('idle'), limits.idleTimeoutMs);
    this.authTimer = setTimeout(() => {
      if (!this.session.authenticated) this.fail('AUTH_REQUIRED', `authenticate within ${limits.authTimeoutMs} ms`);
    }, limits.authTimeoutMs);
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.state = 'closed';
        clearTimeout(this.idleTimer);
        clearTimeout(this.authTimer);
        metrics.connections.dec({ transport: 'tcp' });
        this.logger.debug({ userId: this.session.userId || undefined }, 'wire connection closed');
        void this.session.close().then(resolve);
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

  /**
   * Takes the queued packets in order. A send is started and left in flight,
   * so the loop goes on to the next packet at once; it ends when the queue is
   * empty, not when the sends are answered, so packets that arrive while
   * sends are in flight join the batcher's next batch instead of waiting for
   * every Ack before them (which made one connection's batches take turns
   * instead of overlapping).
   */
  private async work(): Promise<void> {
    if (this.working) return;
    this.working = true;
    try {
      for (let item = this.queue.shift(); item; item = this.queue.shift()) {
        if (this.state === 'closing' || this.state === 'closed') break;
        const parsed = item.kind === 'packet' ? parseClientPacket(item.value) : item;
        if (this.session.authenticated && 'ok' in parsed && parsed.ok && parsed.packet.packet_type === 'SendMessage') {
          await this.pipelineSend(parsed.packet);
        } else {
          // Anything else waits for the sends before it, so replies keep packet order.
          await this.inFlight.at(-1);
          await this.handle(parsed);
        }
        if (this.state === 'open' && this.socket.isPaused() && this.queue.length <= this.context.limits.maxQueuedPackets / 2) {
          this.socket.resume();
        }
      }
    } finally {
      this.working = false;
      this.settleIfIdle();
    }
  }

  /**
   * Starts a send at once — the batcher commits many together — and queues
   * its Ack behind the replies before it. At most `maxSendsInFlight` wait;
   * the next waits for the oldest.
   */
  private async pipelineSend(packet: Extract<ClientPacket, { packet_type: 'SendMessage' }>): Promise<void> {
    const { metrics, limits } = this.context;
    metrics.packetsReceived.inc({ transport: 'tcp', type: packet.packet_type });
    if (this.inFlight.length >= limits.maxSendsInFlight) await this.inFlight[0];
    const started = performance.now();
    // The session refuses at once when the server has no room, and otherwise
    // starts the flood charge now, in packet order (the store answers in
    // that order, so the sends reach their batcher lane in it too).
    const ack = this.context.actions.sendMessage(this.session, packet);
    const previous = this.inFlight.at(-1);
    const replied: Promise<void> = (async () => {
      const reply = this.countRefusal(await ack);
      await previous;
      metrics.ackSeconds.observe({ transport: 'tcp' }, (performance.now() - started) / 1000);
      this.send(reply);
      this.inFlight.shift();
      this.settleIfIdle();
    })();
    this.inFlight.push(replied);
  }

  /** Resolves once every packet received so far has been answered. */
  private whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Nothing is being read or awaits its reply; a closing connection's unread packets are dropped, not waited for. */
  private get idle(): boolean {
    const unread = this.queue.length > 0 && this.state !== 'closing' && this.state !== 'closed';
    return !this.working && !unread && this.inFlight.length === 0;
  }

  private settleIfIdle(): void {
    if (this.idle) for (const resolve of this.idleWaiters.splice(0)) resolve();
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
    try {
      await this.session.charge(packetCost(packet));
    } catch (error) {
      this.send(this.countRefusal(refusalOf(error, this.logger, clientMsgId)));
      return;
    }
    if (this.session.authenticated) this.send(this.countRefusal(await this.answer(packet)));
    else if (packet.packet_type === 'Auth') await this.authenticate(packet.token);
    else this.refuse('AUTH_REQUIRED', clientMsgId);
  }

  /** The reply to a packet of an authenticated connection (sends are pipelined instead). */
  private async answer(packet: ClientPacket): Promise<ServerPacket> {
    const { actions, logger } = this.context;
    switch (packet.packet_type) {
      case 'Auth':
        return refusal('ALREADY_AUTHENTICATED');
      case 'SendMessage':
        return actions.sendMessage(this.session, packet);
      case 'GetMessages':
        return actions.getMessages(this.session.userId, packet);
      case 'Ping':
        return { packet_type: 'Pong' };
      case 'Status':
        await this.context.sessions.announceStatus(this.session.userId, packet.status_data);
        return ACK_OK;
      case 'Typing':
        // A throttled announcement still succeeds: the indicator is already showing.
        return this.session.typing(packet.chat_id).then(
          () => ACK_OK,
          (error: unknown) => refusal(codeOf(error, logger)),
        );
    }
  }

  /**
   * A wrong token keeps the connection for a retry (the client may refresh
   * its token), up to `maxAuthAttempts`. The session subscribes and takes
   * its place in the feed before the Ack, so nothing committed after the Ack
   * is missed.
   */
  private async authenticate(token: string): Promise<void> {
    const { limits, logger } = this.context;
    try {
      await this.session.authenticate(token);
    } catch (error) {
      const code = codeOf(error, logger);
      if (code === 'TOKEN_INVALID') this.authFailures++;
      this.refuse(code);
      if (this.authFailures >= limits.maxAuthAttempts) this.close('too many failed Auth packets');
      return;
    }
    await this.session.sync(null);
    if (this.state === 'closing' || this.state === 'closed') return;
    clearTimeout(this.authTimer);
    this.logger.debug({ userId: this.session.userId, sessionId: this.session.sessionId }, 'wire connection authenticated');
    this.send(ACK_OK);
  }

  // SessionSink: what the session's user should see, as pushed packets.

  event(event: ChatEvent): void {
    if (event.type === 'message.new') this.send({ packet_type: 'NewMessage', message: toWireMessage(event.data as unknown as Message) });
  }

  synced(): void {}

  typing(notice: TypingNotice): void {
    this.send({ packet_type: 'Typing', chat_id: notice.chatId, user_id: notice.userId });
  }

  presence(update: ChatPresenceUpdate): void {
    this.send({ packet_type: 'Status', user_id: update.userId, status_data: update.status });
  }

  /** The feed position went stale (a very long idle): follow from now, as a new connection would. */
  cursorInvalid(): void {
    void this.session.sync(null);
  }

  ended(reason: SessionEnd): void {
    if (reason === 'revoked') this.fail('TOKEN_INVALID', 'The session was signed out');
    else this.fail('DEPENDENCY_UNAVAILABLE', new KaifError('DEPENDENCY_UNAVAILABLE').message);
  }

  private countRefusal(packet: ServerPacket): ServerPacket {
    const code = refusedCode(packet);
    if (code !== undefined) this.context.metrics.errors.inc({ transport: 'tcp', code });
    return packet;
  }

  private refuse(code: Parameters<typeof refusal>[0], clientMsgId?: string): void {
    this.send(this.countRefusal(refusal(code, clientMsgId)));
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
    // Measured before this turn's writes are corked, so it counts only what
    // the kernel did not take from earlier turns, not a batch's acks queued
    // a moment ago.
    if (this.socket.writableCorked === 0 && this.socket.writableLength > limits.maxWriteBufferBytes) {
      metrics.errors.inc({ transport: 'tcp', code: 'SLOW_READER' });
      this.logger.info({ userId: this.session.userId, buffered: this.socket.writableLength }, 'dropping a slow reader');
      this.socket.destroy();
      return;
    }
    corkUntilTurnEnds(this.socket);
    this.socket.write(this.wire.encode(packet));
    metrics.packetsSent.inc({ transport: 'tcp', type: packet.packet_type });
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
