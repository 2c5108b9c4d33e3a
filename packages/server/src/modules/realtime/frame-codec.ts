import type { ClientFrame, ErrorPayload, ServerFrame, WalletBalanceEvent } from '@kaif/protocol';
import type { ChatPresenceUpdate } from '../../platform/bus/live-subjects.js';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { ChatEvent } from '../messaging/api.js';
import type { RealtimeSession, SessionEnd, SessionSink, TypingNotice } from './api.js';
import type { RealtimeMetrics } from './realtime-metrics.js';

/** Where a frame's answer goes: the connection itself, or (Socket.IO) the emit's acknowledgement. */
export type Reply = (frame: ServerFrame) => void;

/**
 * The frame protocol of API.md "Real time" on top of a session, for the
 * transports that speak it — `/ws` and `/socket.io` differ only in how a
 * frame travels. Subclasses write frames and close; everything a frame means
 * is here once.
 */
export abstract class FrameCodec implements SessionSink {
  protected readonly session: RealtimeSession;

  protected constructor(
    open: (sink: SessionSink) => RealtimeSession,
    protected readonly logger: Logger,
    protected readonly metrics: RealtimeMetrics,
  ) {
    this.session = open(this);
  }

  /** Writes one frame to the client, unless the connection is closing. */
  protected abstract write(frame: ServerFrame): void;

  abstract ended(reason: SessionEnd): void;

  event(event: ChatEvent, cursor: string): void {
    this.write({ type: event.type, cursor, chatId: event.chatId, seq: event.seq, at: event.at, data: event.data } as ServerFrame);
  }

  synced(cursor: string): void {
    this.write({ type: 'synced', cursor });
  }

  typing(notice: TypingNotice, cursor: string | null): void {
    this.write({ type: 'typing', cursor, ...notice });
  }

  presence(update: ChatPresenceUpdate, cursor: string | null): void {
    this.write({ type: 'presence', cursor, ...update } as ServerFrame);
  }

  walletBalance(event: WalletBalanceEvent): void {
    this.write({ ...event });
  }

  cursorInvalid(error: KaifError): void {
    this.writeError(undefined, error.toPayload());
  }

  /**
   * Acts on one valid frame of an authenticated session; `reply` gets its
   * answer, if it has one. `sendAdmitted`: the codec already asked
   * `admitsSend` for a `message.send` or `secret.send` (and holds the place it got).
   */
  protected dispatch(frame: ClientFrame, reply: Reply, sendAdmitted: boolean): void {
    this.metrics.frameIn(frame.type);
    switch (frame.type) {
      case 'auth':
        reply(errorFrame(undefined, { code: 'VALIDATION_FAILED', message: 'Already authenticated', field: 'type' }));
        return;
      case 'sync':
        void this.session.sync(frame.since);
        return;
      case 'message.send':
        this.session
          .send(
            {
              chatId: frame.chatId,
              clientMsgId: frame.clientMsgId,
              text: frame.text ?? '',
              replyToId: frame.replyToId ?? null,
              ...(frame.mediaIds ? { mediaIds: frame.mediaIds } : {}),
            },
            sendAdmitted,
          )
          .then(
            (message) => reply({ type: 'ack', id: frame.id, message: { ...message } }),
            (error: unknown) => reply(errorFrame(frame.id, this.toPayload(error, 'message.send'))),
          );
        return;
      case 'secret.send': {
        const { type: _type, id, chatId, ...input } = frame;
        this.session.sendSecret(chatId, input, sendAdmitted).then(
          (message) => reply({ type: 'ack', id, message: { ...message } }),
          (error: unknown) => reply(errorFrame(id, this.toPayload(error, 'secret.send'))),
        );
        return;
      }
      case 'read':
        this.session.markRead(frame.chatId, frame.seq).catch((error: unknown) => reply(errorFrame(undefined, this.toPayload(error, 'read'))));
        return;
      case 'typing':
        this.session.typing(frame.chatId).catch((error: unknown) => {
          // Refusals (a channel subscriber may not be seen typing) go to the client; a store hiccup only to the log.
          if (error instanceof KaifError) reply(errorFrame(undefined, error.toPayload()));
          else this.logger.warn({ err: (error as Error).message, userId: this.session.userId }, 'typing not announced');
        });
        return;
      case 'ping':
        reply({ type: 'pong' });
        return;
    }
  }

  protected writeError(id: string | undefined, error: ErrorPayload): void {
    this.write(errorFrame(id, error));
  }

  /** A refused frame's payload: a KaifError says why; anything else is ours, logged, and shown as INTERNAL. */
  protected toPayload(error: unknown, action: string): ErrorPayload {
    if (error instanceof KaifError) return error.toPayload();
    this.logger.error({ err: (error as Error).message, userId: this.session.userId, action }, 'frame failed');
    return new KaifError('INTERNAL').toPayload();
  }
}

export function errorFrame(id: string | undefined, error: ErrorPayload): ServerFrame {
  return { type: 'error', ...(id === undefined ? {} : { id }), error };
}
