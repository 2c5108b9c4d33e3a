import type { IncomingMessage } from 'node:http';
import { CLOSE_CODES, type SessionId, type UserId } from '@kaif/protocol';
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { WebSocket } from 'ws';
import type { Bus, Unsubscribe } from '../../platform/bus/bus.js';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { Principal } from '../../platform/http/principal.js';
import type { Logger } from '../../platform/logging/logger.js';
import { isEventEnvelope } from '../../platform/outbox/outbox.js';
import { type IdentityApi, type SessionsRevokedEvent, sessionsRevokedSubject } from '../identity/api.js';
import type { OrderFeed, OrderFollow, OrderFollower, UpdateQueue } from './order-feed.js';

/** The limits of GraphQL subscription sockets on one node. */
export interface SubscriberLimits {
  /** Open sockets one address may hold on this node; more are closed at once (as KAIF_TCP_CONNECTIONS_PER_IP for TCP). */
  readonly socketsPerIp: number;
  /** Signed-in sockets one user may hold on this node. */
  readonly socketsPerUser: number;
  /** Subscriptions running at once on one socket. */
  readonly subscriptionsPerSocket: number;
  /** Updates waiting for one socket, over all its subscriptions; past it the socket is a slow consumer and is closed (1013). */
  readonly queuedUpdates: number;
  /** Unsent bytes past which the socket is a slow consumer (the realtime gateway's bound). */
  readonly bufferedBytes: number;
  /** Messages per second one socket may send on average, burst twice that (KAIF_CONNECTION_FRAMES_PER_SECOND). */
  readonly messagesPerSecond: number;
  /** How long a socket may take to send `connection_init` (graphql-transport-ws closes with 4408 after it). */
  readonly initTimeoutMs: number;
}

export const DEFAULT_SUBSCRIBER_LIMITS: Omit<SubscriberLimits, 'messagesPerSecond'> = {
  socketsPerIp: 128,
  socketsPerUser: 16,
  subscriptionsPerSocket: 20,
  queuedUpdates: 100,
  bufferedBytes: 1024 * 1024,
  initTimeoutMs: 10_000,
};

/**
 * Close codes: graphql-transport-ws's own (4400 invalid message, 4408 no
 * `connection_init` in time, 4429 a second `connection_init`), and the
 * realtime gateway's (4401 not signed in or signed out, 1008 past a budget,
 * 1013 slow consumer or a dependency down). The close reason is the error
 * registry's code where there is one, as REST would answer.
 */
const CLOSE = { INVALID_MESSAGE: 4400, INIT_TIMEOUT: 4408, TOO_MANY_INITS: 4429 } as const;

/** A graphql-transport-ws (or graphql-ws) message as far as the gate reads it; mercurius reads the rest. */
const ClientMessage = TypeCompiler.Compile(
  Type.Object({
    type: Type.String({ minLength: 1, maxLength: 64 }),
    id: Type.Optional(Type.String({ maxLength: 128 })),
  }),
);

const Credential = Type.String({ minLength: 1, maxLength: 8192 });
/** `connection_init`'s payload: the access token as `authorization: "Bearer …"`, as `token`, or under `headers`. */
const InitPayload = TypeCompiler.Compile(
  Type.Object({
    authorization: Type.Optional(Credential),
    token: Type.Optional(Credential),
    headers: Type.Optional(Type.Object({ authorization: Type.Optional(Credential) })),
  }),
);

function tokenOf(payload: unknown): string | undefined {
  if (!InitPayload.Check(payload)) return undefined;
  const header = payload.authorization ?? payload.headers?.authorization;
  if (header !== undefined) return /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  return payload.token;
}

/**
 * One GraphQL WebSocket: who it is once `connection_init` authenticated,
 * and its share of the limits. Its subscriptions' pending updates count
 * against one bounded queue.
 */
export class SubscriberSocket implements UpdateQueue {
  principal: Principal | undefined;
  initPayload: unknown;
  private initialised = false;
  private subscriptions = 0;
  private queued = 0;
  private closed = false;
  readonly initTimer: NodeJS.Timeout;

  constructor(
    readonly number: number,
    readonly ws: WebSocket,
    readonly address: string,
    private readonly sockets: SubscriberSockets,
  ) {
    this.initTimer = setTimeout(() => this.close(CLOSE.INIT_TIMEOUT, 'UNAUTHORIZED'), sockets.limits.initTimeoutMs);
    this.initTimer.unref();
  }

  /** A new subscription's stream of updates; SUBSCRIPTION_LIMIT past the socket's share. */
  follow(feed: OrderFeed, follow: OrderFollow): OrderFollower {
    if (this.subscriptions >= this.sockets.limits.subscriptionsPerSocket) {
      throw new KaifError('SUBSCRIPTION_LIMIT', `At most ${this.sockets.limits.subscriptionsPerSocket} subscriptions run on one connection`);
    }
    this.subscriptions++;
    return feed.follow(follow, this);
  }

  ended(): void {
    this.subscriptions--;
  }

  admit(): boolean {
    if (this.closed || this.queued >= this.sockets.limits.queuedUpdates || this.ws.bufferedAmount > this.sockets.limits.bufferedBytes) return false;
    this.queued++;
    return true;
  }

  release(): void {
    this.queued--;
  }

  overflow(): void {
    this.sockets.logger.info({ userId: this.principal?.userId, buffered: this.ws.bufferedAmount }, 'graphql subscriber too slow; closed');
    this.close(CLOSE_CODES.TRY_AGAIN_LATER, 'slow consumer');
    // The close frame waits behind the unread data; do not wait for it long.
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }

  /** Reads a message before mercurius does: the frame budget, its shape, at most one `connection_init`. */
  inspect(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.closed) return;
    this.sockets.charge(this);
    let message: unknown;
    try {
      message = JSON.parse(isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString());
    } catch {
      message = undefined;
    }
    if (!ClientMessage.Check(message)) {
      this.close(CLOSE.INVALID_MESSAGE, 'VALIDATION_FAILED');
      return;
    }
    if (message.type !== 'connection_init') return;
    if (this.initialised) {
      this.close(CLOSE.TOO_MANY_INITS, 'Too many initialisation requests');
      return;
    }
    this.initialised = true;
    clearTimeout(this.initTimer);
    this.initPayload = (message as { payload?: unknown }).payload ?? {};
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.initTimer);
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, reason);
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

/**
 * The GraphQL WebSocket connections of this node, and the rules they share
 * with the realtime gateway: the upgrade draws on the address's flood
 * budget (it is an `/api/` request), the same per-socket message budget,
 * the same slow-consumer bound, and a socket whose session identity
 * revokes (logout, revoke, password change …) closes with 4401 on every
 * node, as identity's `kaif.ev.user.<id>.sessions` signal reaches each.
 * The counts per address and per user are this node's (like TCP's per-IP
 * limit), not cluster-wide.
 */
export class SubscriberSockets {
  private readonly sockets = new Map<WebSocket, SubscriberSocket>();
  private readonly perAddress = new Map<string, number>();
  private readonly perUser = new Map<UserId, Set<SubscriberSocket>>();
  private readonly messages: RateLimiterMemory;
  private revocations: Unsubscribe | undefined;
  private counter = 0;

  constructor(
    readonly limits: SubscriberLimits,
    private readonly identity: IdentityApi,
    private readonly bus: Bus,
    readonly logger: Logger,
  ) {
    this.messages = new RateLimiterMemory({ keyPrefix: 'graphql-ws', points: limits.messagesPerSecond * 2, duration: 2 });
  }

  get size(): number {
    return this.sockets.size;
  }

  /** A socket just upgraded (before mercurius reads it). */
  accept(ws: WebSocket, address: string): void {
    const socket = new SubscriberSocket(++this.counter, ws, address, this);
    const held = this.perAddress.get(address) ?? 0;
    if (held >= this.limits.socketsPerIp) {
      socket.close(CLOSE_CODES.POLICY_VIOLATION, 'FLOOD_WAIT');
      return;
    }
    this.perAddress.set(address, held + 1);
    this.sockets.set(ws, socket);
    ws.on('message', (data, isBinary) => socket.inspect(data, isBinary));
    ws.once('close', () => this.release(socket));
  }

  /**
   * At `connection_init`: the access token in its payload, checked as REST
   * checks a bearer token. Refused, the socket closes with 4401 and the
   * registry's code (UNAUTHORIZED without a token, TOKEN_INVALID for a bad,
   * expired or revoked one), 1013 when identity cannot answer, or 1008
   * FLOOD_WAIT past the user's sockets on this node.
   */
  async authenticate(ws: WebSocket): Promise<SubscriberSocket | undefined> {
    const socket = this.sockets.get(ws);
    if (!socket || socket.isClosed) return undefined;
    const token = tokenOf(socket.initPayload);
    if (token === undefined) {
      socket.close(CLOSE_CODES.UNAUTHORIZED, 'UNAUTHORIZED');
      return undefined;
    }
    let principal: Principal;
    try {
      principal = await this.identity.authenticate(token);
    } catch (error) {
      // 401/403 (TOKEN_INVALID, ACCOUNT_DISABLED): do not retry with this token; anything else: identity could not answer.
      if (error instanceof KaifError && (error.status === 401 || error.status === 403)) socket.close(CLOSE_CODES.UNAUTHORIZED, error.code);
      else socket.close(CLOSE_CODES.TRY_AGAIN_LATER, 'DEPENDENCY_UNAVAILABLE');
      return undefined;
    }
    if (socket.isClosed) return undefined;
    const mine = this.perUser.get(principal.userId) ?? new Set<SubscriberSocket>();
    if (mine.size >= this.limits.socketsPerUser) {
      socket.close(CLOSE_CODES.POLICY_VIOLATION, 'FLOOD_WAIT');
      return undefined;
    }
    socket.principal = principal;
    mine.add(socket);
    this.perUser.set(principal.userId, mine);
    this.revocations ??= this.bus.subscribe(sessionsRevokedSubject('*' as UserId), (payload) => {
      const event = (isEventEnvelope(payload) ? payload.body : payload) as Partial<SessionsRevokedEvent> | null;
      if (event?.type === 'sessions.revoked' && typeof event.userId === 'string') this.revoked(event.userId, Array.isArray(event.sessionIds) ? event.sessionIds : null);
    });
    return socket;
  }

  /** One message from the socket's budget; past it the socket closes (1008 FLOOD_WAIT). */
  charge(socket: SubscriberSocket): void {
    this.messages.consume(socket.number).catch(() => socket.close(CLOSE_CODES.POLICY_VIOLATION, 'FLOOD_WAIT'));
  }

  close(): void {
    this.revocations?.();
    this.revocations = undefined;
    for (const socket of this.sockets.values()) socket.close(CLOSE_CODES.GOING_AWAY, 'server shutting down');
  }

  private revoked(userId: UserId, sessionIds: readonly SessionId[] | null): void {
    for (const socket of this.perUser.get(userId) ?? []) {
      if (sessionIds === null || (socket.principal && sessionIds.includes(socket.principal.sessionId))) socket.close(CLOSE_CODES.UNAUTHORIZED, 'TOKEN_INVALID');
    }
  }

  private release(socket: SubscriberSocket): void {
    socket.close(1000, 'closed');
    this.sockets.delete(socket.ws);
    const held = (this.perAddress.get(socket.address) ?? 1) - 1;
    if (held > 0) this.perAddress.set(socket.address, held);
    else this.perAddress.delete(socket.address);
    const userId = socket.principal?.userId;
    const mine = userId ? this.perUser.get(userId) : undefined;
    if (userId && mine?.delete(socket) && mine.size === 0) this.perUser.delete(userId);
    if (this.perUser.size === 0) {
      this.revocations?.();
      this.revocations = undefined;
    }
  }
}

/** The address an upgrade came from: behind a proxy that sets X-Forwarded-For (KAIF_TRUST_PROXY), the first it lists. */
export function addressOf(request: IncomingMessage, trustProxy: boolean): string {
  const forwarded = request.headers['x-forwarded-for'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  if (trustProxy && first) return first;
  return request.socket.remoteAddress ?? 'unknown';
}
