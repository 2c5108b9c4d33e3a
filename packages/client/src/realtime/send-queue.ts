import type { MessageView, SendSecretMessageInput } from '@kaif/protocol';

export interface OutgoingMessage {
  readonly chatId: string;
  readonly text: string;
  readonly replyToId?: string | null;
  /** Media uploaded before (POST /api/v1/media); `text` is then an optional caption. */
  readonly mediaIds?: readonly string[];
  /** Reuse to make a retry idempotent; generated when omitted. */
  readonly clientMsgId?: string;
}

/** An MLS message into a secret chat, sent as a `secret.send` frame; its clientMsgId is the input's. */
export interface OutgoingSecret {
  readonly chatId: string;
  readonly secret: SendSecretMessageInput;
}

interface PendingSend {
  readonly clientMsgId: string;
  readonly message: OutgoingMessage | OutgoingSecret;
  readonly done: Promise<MessageView>;
  resolve(message: MessageView): void;
  reject(error: Error): void;
}

/**
 * Messages not yet acknowledged, keyed by clientMsgId and kept in send order.
 * A message leaves the queue only on its ack (durable on the server) or on a
 * final error; after a disconnect every entry is sent again with the same
 * clientMsgId, and the server's idempotency turns the retry into the first
 * result: exactly once.
 */
export class SendQueue {
  private readonly pending = new Map<string, PendingSend>();
  private readonly byFrame = new Map<string, string>();
  private frames = 0;

  get size(): number {
    return this.pending.size;
  }

  add(message: OutgoingMessage | OutgoingSecret, clientMsgId: string): { readonly isNew: boolean; readonly done: Promise<MessageView> } {
    const existing = this.pending.get(clientMsgId);
    if (existing) return { isNew: false, done: existing.done };
    let resolve!: (message: MessageView) => void;
    let reject!: (error: Error) => void;
    const done = new Promise<MessageView>((yes, no) => {
      resolve = yes;
      reject = no;
    });
    this.pending.set(clientMsgId, { clientMsgId, message, done, resolve, reject });
    return { isNew: true, done };
  }

  /** The `message.send` or `secret.send` frame for one entry, under a fresh frame id. */
  frameFor(clientMsgId: string): string | undefined {
    const entry = this.pending.get(clientMsgId);
    if (!entry) return undefined;
    const id = `m${++this.frames}`;
    this.byFrame.set(id, clientMsgId);
    if ('secret' in entry.message) return secretFrame(id, entry.message);
    const { chatId, text, replyToId, mediaIds } = entry.message;
    return JSON.stringify({
      type: 'message.send',
      id,
      chatId,
      clientMsgId,
      ...(text ? { text } : {}),
      ...(replyToId ? { replyToId } : {}),
      ...(mediaIds && mediaIds.length > 0 ? { mediaIds } : {}),
    });
  }

  clientMsgIds(): string[] {
    return [...this.pending.keys()];
  }

  /** Which entry a frame id answered; undefined for frames of an earlier connection already settled. */
  entryOf(frameId: string): string | undefined {
    const clientMsgId = this.byFrame.get(frameId);
    this.byFrame.delete(frameId);
    return clientMsgId !== undefined && this.pending.has(clientMsgId) ? clientMsgId : undefined;
  }

  settle(clientMsgId: string, outcome: { readonly message: MessageView } | { readonly error: Error }): void {
    const entry = this.pending.get(clientMsgId);
    if (!entry) return;
    this.pending.delete(clientMsgId);
    if ('message' in outcome) entry.resolve(outcome.message);
    else entry.reject(outcome.error);
  }

  /** Frame ids of a closed connection can never be answered. */
  forgetFrames(): void {
    this.byFrame.clear();
  }
}

export function secretFrame(id: string, { chatId, secret }: OutgoingSecret): string {
  return JSON.stringify({ type: 'secret.send', id, chatId, ...secret });
}
