import type { ServerFrame } from '@kaif/protocol';
import type { Socket } from 'socket.io';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { SessionEnd } from './api.js';
import type { ConnectionDeps } from './connection.js';
import { FrameCodec, type Reply, errorFrame } from './frame-codec.js';
import { checkClientFrame } from './frame-decoder.js';

/** An acknowledgement callback, when the client's emit passed one. */
type Ack = (frame: ServerFrame) => void;

/**
 * One Socket.IO client (API.md "Socket.IO"): event names are the frame types,
 * payloads the frames without `type`, and `message.send` (or `secret.send`) is answered through
 * the emit's acknowledgement. The session and the frame rules are the same
 * as on `/ws` (FrameCodec); only how a frame travels differs.
 */
export class SocketIoConnection extends FrameCodec {
  private connected = false;
  private sends = 0;
  /** Resolves once everything the connection held is released. */
  readonly released: Promise<void>;

  constructor(
    private readonly socket: Socket,
    private readonly deps: ConnectionDeps,
    address: string,
  ) {
    super((sink) => deps.sessions.open(sink, { transport: 'socket.io', address }), deps.logger, deps.metrics);
    this.released = new Promise((resolve) => socket.once('disconnect', () => void this.session.close().then(resolve)));
  }

  /**
   * Runs in the namespace middleware, before the client is told it is
   * connected. Throws the session's error: a token that is no good, or
   * DEPENDENCY_UNAVAILABLE (retry later).
   */
  async authenticate(token: unknown): Promise<void> {
    this.deps.metrics.frameIn('auth');
    if (typeof token !== 'string' || token.length === 0) throw new KaifError('AUTH_REQUIRED', 'Pass the access token as auth.token');
    await this.session.authenticate(token);
  }

  /** The client is connected: frames flow both ways from now on. */
  start(): void {
    this.connected = true;
    // One middleware for every event, so an unknown event is answered too.
    this.socket.use(([event, ...args], _next) => this.receive(event, args));
    this.write({ type: 'ready', userId: this.session.userId });
  }

  ended(reason: SessionEnd): void {
    if (reason === 'revoked') {
      this.deps.metrics.authFailures.inc({ reason: 'revoked' });
      this.writeError(undefined, { code: 'UNAUTHORIZED', message: 'Session revoked' });
    } else {
      this.writeError(undefined, new KaifError('DEPENDENCY_UNAVAILABLE').toPayload());
    }
    this.socket.disconnect(true);
  }

  /** Releases the session of a client that never got connected. */
  abandon(): void {
    void this.session.close();
  }

  /** Closes the session's socket, as shutdown does. */
  disconnect(): void {
    this.socket.disconnect(true);
  }

  protected write(frame: ServerFrame): void {
    if (!this.connected || this.socket.disconnected) return;
    this.socket.emit(frame.type, frame);
    this.deps.metrics.frameOut(frame.type);
  }

  private receive(event: string, args: unknown[]): void {
    const ack = typeof args.at(-1) === 'function' ? (args.pop() as Ack) : undefined;
    const reply: Reply = ack ?? ((frame) => this.write(frame));
    const payload = args[0] ?? {};
    const sends = event === 'message.send' || event === 'secret.send';
    const id = frameIdOf(payload) ?? (sends ? `sio-${++this.sends}` : undefined);
    // Budget answers keep event order: each settles in the order it was asked.
    void this.session.admitFrame().then((wait) => this.admit(event, payload, id, reply, wait));
  }

  private admit(event: string, payload: unknown, id: string | undefined, reply: Reply, wait: number): void {
    if (wait > 0) {
      this.deps.metrics.frameIn('flooded');
      reply(errorFrame(id, { code: 'FLOOD_WAIT', message: 'Too many frames; slow down', retryAfter: Math.ceil(wait) }));
      return;
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      this.deps.metrics.frameIn('invalid');
      reply(errorFrame(id, { code: 'VALIDATION_FAILED', message: 'An event’s payload is an object' }));
      return;
    }
    const decoded = checkClientFrame({ ok: true, value: { ...payload, type: event, ...(id === undefined ? {} : { id }) }, id });
    if (!decoded.ok) {
      this.deps.metrics.frameIn('invalid');
      reply(errorFrame(id, { code: 'VALIDATION_FAILED', message: decoded.message, ...(decoded.field ? { field: decoded.field } : {}) }));
      return;
    }
    this.dispatch(decoded.frame, reply, false);
  }
}

function frameIdOf(payload: unknown): string | undefined {
  const id = (payload as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : undefined;
}
