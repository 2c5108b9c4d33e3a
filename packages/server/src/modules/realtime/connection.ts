import { CLOSE_CODES, type ChatId, type ServerFrame } from '@kaif/protocol';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { Logger } from '../../platform/logging/logger.js';
import { corkUntilTurnEnds } from '../../platform/net/turn-corking.js';
import { AT_CAPACITY } from '../messaging/api.js';
import type { RealtimeApi, SessionEnd } from './api.js';
import { FrameCodec } from './frame-codec.js';
import { type ParsedFrame, checkClientFrame, decodeClientFrame, parseClientFrame, peekSend } from './frame-decoder.js';
import type { GatewayOptions } from './gateway-options.js';
import type { RealtimeMetrics } from './realtime-metrics.js';

export interface ConnectionDeps {
  /** Opens the transport-neutral session every connection is a codec on. */
  readonly sessions: Pick<RealtimeApi, 'open'>;
  readonly metrics: RealtimeMetrics;
  readonly options: GatewayOptions;
  readonly logger: Logger;
}

type State = 'awaiting-auth' | 'authenticating' | 'ready' | 'closed';

let connectionsOpened = 0;

/** Where a socket's shared listeners find their connection: no closure per connection. */
const CONNECTION = Symbol('connection');
type OwnedSocket = WebSocket & { [CONNECTION]: Connection };

/**
 * One WebSocket client: JSON text frames in, session calls out, and the
 * session's events back as frames. A connection's failure (bad frame, slow
 * reads, flooding) is answered on that connection only.
 *
 * Thousands are open at once, so an idle one holds only what it needs (see
 * README, "Memory"): no closure of its own (the socket's listeners are
 * shared), no timer once authenticated (the gateway's heartbeat wheel visits
 * every connection), and nothing of the upgrade request.
 */
export class Connection extends FrameCodec {
  private state: State = 'awaiting-auth';
  private alive = true;
  /** Frames that arrived while authenticating; allocated only then. */
  private waiting: string[] | undefined;
  private authTimer: NodeJS.Timeout | undefined;
  private readonly number = ++connectionsOpened;

  /** `released` is called once everything the connection held is released. */
  constructor(
    private readonly socket: WebSocket,
    /** The socket under `socket`, corked while a turn of the event loop writes to it. */
    private readonly raw: Duplex,
    private readonly deps: ConnectionDeps,
    address: string,
    private readonly released: (connection: Connection) => void,
  ) {
    super((sink) => deps.sessions.open(sink, { transport: 'ws', address }), deps.logger, deps.metrics);
    this.authTimer = setTimeout(() => this.refuse('timeout', 'authenticate within the time limit'), deps.options.authTimeoutMs);
    (socket as OwnedSocket)[CONNECTION] = this;
    socket.on('message', onMessage);
    socket.on('pong', onPong);
    socket.on('close', onClose);
    socket.on('error', onError);
  }

  // Socket events, from the listeners every connection shares (below the class).

  /** The peer answered a ping. */
  ponged(): void {
    this.alive = true;
  }

  socketFailed(error: Error): void {
    this.deps.logger.debug({ err: error.message, userId: this.session.userId || undefined }, 'socket error');
  }

  /** This connection's slot in the gateway's heartbeat wheel. */
  slot(slots: number): number {
    return this.number % slots;
  }

  /** Called at each heartbeat of this connection: drops a peer that did not answer the previous ping. */
  heartbeat(): void {
    if (!this.alive) {
      this.socket.terminate();
      return;
    }
    this.alive = false;
    if (this.socket.readyState === WebSocket.OPEN) this.socket.ping();
  }

  /** Cuts the connection without a closing handshake. */
  terminate(): void {
    this.socket.terminate();
  }

  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.socket.close(code, reason);
  }

  ended(reason: SessionEnd): void {
    if (reason === 'revoked') {
      this.deps.metrics.authFailures.inc({ reason: 'revoked' });
      this.close(CLOSE_CODES.UNAUTHORIZED, 'session revoked');
    } else {
      this.close(1011, 'try again later');
    }
  }

  protected write(frame: ServerFrame): void {
    this.writeRaw(JSON.stringify(frame), frame.type);
  }

  private writeRaw(json: string, type: ServerFrame['type']): void {
    if (this.state === 'closed' || this.socket.readyState !== WebSocket.OPEN) return;
    // Measured before this turn's writes are corked: only what the kernel did not take from earlier turns counts.
    if (this.raw.writableCorked === 0 && this.socket.bufferedAmount > this.deps.options.maxBufferedBytes) {
      this.dropSlowConsumer();
      return;
    }
    corkUntilTurnEnds(this.raw);
    this.socket.send(json);
    this.deps.metrics.frameOut(type);
  }

  /** A frame from the socket. */
  receive(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.state === 'closed') return;
    const text = isBinary ? null : data.toString();
    if (this.state === 'awaiting-auth') {
      void this.authenticate(text);
      return;
    }
    if (this.state === 'authenticating') {
      // Replayed after `ready`, these draw on the frame budget: more than its
      // burst would be refused anyway, so a client that does not wait for
      // `ready` is cut off rather than buffered without bound.
      this.waiting ??= [];
      if (this.waiting.length >= this.deps.options.frameBurst) {
        this.deps.metrics.frameIn('flooded');
        this.close(CLOSE_CODES.POLICY_VIOLATION, 'too many frames before ready');
        return;
      }
      if (text !== null) this.waiting.push(text);
      return;
    }
    if (text === null) {
      void this.session.admitFrame().then((wait) => this.admit(undefined, wait));
      return;
    }
    // An overloaded server refuses a send before anything else — parse,
    // budget, validation — since under a flood the refusals must cost next
    // to nothing. The place admission holds is the one the session's send
    // then uses.
    const peeked = peekSend(text);
    if (peeked !== undefined && !this.session.admitsSend(peeked.chatId as ChatId)) {
      this.refuseAtCapacity(peeked.type, peeked.id);
      return;
    }
    const parsed = parseClientFrame(text);
    const sends = parsed.ok && (parsed.value.type === 'message.send' || parsed.value.type === 'secret.send');
    // Asked again only when the peek did not read the chat the parse found
    // (a frame the peek skipped, or one with a nested "chatId" key first),
    // so no frame reaches its send unchecked.
    if (sends && peeked?.chatId !== parsed.value.chatId && !this.session.admitsSend(parsed.value.chatId as ChatId)) {
      this.refuseAtCapacity(parsed.value.type as string, parsed.id);
      return;
    }
    // Budget answers keep frame order: each settles in the order it was asked.
    void this.session.admitFrame().then((wait) => this.admit(parsed, wait));
  }

  private refuseAtCapacity(type: string, id: string | undefined): void {
    this.deps.metrics.frameIn(type);
    this.writeRaw(atCapacityFrame(id), 'error');
  }

  /** A frame past the capacity check: `undefined` for a binary one. */
  private admit(parsed: ParsedFrame | undefined, wait: number): void {
    if (this.state === 'closed') return;
    if (wait > 0) {
      this.deps.metrics.frameIn('flooded');
      this.writeError(parsed?.id, { code: 'FLOOD_WAIT', message: 'Too many frames; slow down', retryAfter: Math.ceil(wait) });
      return;
    }
    if (parsed === undefined) {
      this.deps.metrics.frameIn('invalid');
      this.writeError(undefined, { code: 'VALIDATION_FAILED', message: 'Frames are JSON text, not binary' });
      return;
    }
    const decoded = parsed.ok ? checkClientFrame(parsed) : parsed;
    if (!decoded.ok) {
      this.deps.metrics.frameIn('invalid');
      this.writeError(decoded.id, { code: 'VALIDATION_FAILED', message: decoded.message, ...(decoded.field ? { field: decoded.field } : {}) });
      return;
    }
    this.dispatch(decoded.frame, (frame) => this.write(frame), true);
  }

  private async authenticate(text: string | null): Promise<void> {
    const decoded = text === null ? undefined : decodeClientFrame(text);
    if (!decoded?.ok || decoded.frame.type !== 'auth') {
      this.refuse('not-auth', 'the first frame must be auth');
      return;
    }
    this.state = 'authenticating';
    this.deps.metrics.frameIn('auth');
    try {
      await this.session.authenticate(decoded.frame.token);
    } catch (error) {
      if (error instanceof KaifError && error.code === 'DEPENDENCY_UNAVAILABLE') {
        // 4401 would sign the user out; 1013 makes them retry.
        this.deps.metrics.authFailures.inc({ reason: 'unavailable' });
        this.close(CLOSE_CODES.TRY_AGAIN_LATER, 'try again later');
      } else {
        this.refuse('token', 'token invalid');
      }
      return;
    }
    if (this.isClosed()) return;
    clearTimeout(this.authTimer);
    this.authTimer = undefined;
    this.state = 'ready';
    this.write({ type: 'ready', userId: this.session.userId });
    const waiting = this.waiting ?? [];
    this.waiting = undefined;
    for (const text of waiting) this.receive(Buffer.from(text), false);
  }

  /** A method, not a comparison: `state` changes across awaits, which narrowing does not see. */
  private isClosed(): boolean {
    return this.state === 'closed' || this.socket.readyState !== WebSocket.OPEN;
  }

  /** The client reads slower than we write: disconnect rather than buffer without bound. It resyncs on reconnect. */
  private dropSlowConsumer(): void {
    this.deps.metrics.slowConsumersDropped.inc();
    this.deps.logger.info({ userId: this.session.userId, buffered: this.socket.bufferedAmount }, 'slow consumer disconnected');
    this.close(CLOSE_CODES.TRY_AGAIN_LATER, 'slow consumer');
    // The close frame waits behind the unread data; do not wait for it long.
    setTimeout(() => this.socket.terminate(), 1000).unref();
  }

  private refuse(reason: string, message: string): void {
    this.deps.metrics.authFailures.inc({ reason });
    this.close(CLOSE_CODES.UNAUTHORIZED, message);
  }

  /** The socket closed: lets go of everything the connection held. */
  async closed(): Promise<void> {
    this.state = 'closed';
    clearTimeout(this.authTimer);
    this.authTimer = undefined;
    await this.session.close();
    this.released(this);
  }
}

function onMessage(this: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
  (this as OwnedSocket)[CONNECTION].receive(data, isBinary);
}

function onPong(this: WebSocket): void {
  (this as OwnedSocket)[CONNECTION].ponged();
}

function onClose(this: WebSocket): void {
  void (this as OwnedSocket)[CONNECTION].closed();
}

function onError(this: WebSocket, error: Error): void {
  (this as OwnedSocket)[CONNECTION].socketFailed(error);
}

const AT_CAPACITY_JSON = JSON.stringify(AT_CAPACITY);

/** The refusal of a send at capacity, serialized without building an object per frame. */
function atCapacityFrame(id: string | undefined): string {
  return id === undefined ? `{"type":"error","error":${AT_CAPACITY_JSON}}` : `{"type":"error","id":${JSON.stringify(id)},"error":${AT_CAPACITY_JSON}}`;
}
