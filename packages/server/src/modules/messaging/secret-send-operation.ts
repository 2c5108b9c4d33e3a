import { randomUUID } from 'node:crypto';
import type { SecretKind } from '@kaif/protocol';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { Message } from './api.js';
import type { BatchOperation, BatchReads } from './batch-operation.js';
import type { ChatBatch } from './chat-batch.js';
import type { SendOutcome } from './send-operation.js';

/** A secret send whose shape is checked and whose Welcomes name devices of known users. */
export interface CheckedSecretSend {
  readonly userId: string;
  readonly chatId: string;
  readonly clientMsgId: string;
  readonly kind: SecretKind;
  readonly epoch: number;
  readonly ciphertext: string;
  readonly welcomes: readonly { readonly deviceId: string; readonly userId: string; readonly welcome: string }[];
}

/**
 * An MLS message into a secret chat's log (the server as the MLS delivery
 * service, RFC 9750 §5.1): stored as ciphertext beside a message row
 * without text, and ordered by seq like every event, so all devices apply
 * handshake messages in one order. A commit must be built on the chat's
 * current epoch and moves it on; a second commit for the same epoch lost
 * the race and is EPOCH_CONFLICT (its sender processes the winner and
 * commits again). Its Welcomes are stored in the same transaction, so a
 * device is welcomed exactly when the commit that adds it is accepted.
 * Idempotent on (chat, sender, clientMsgId) like every send.
 */
export class SecretSendOperation implements BatchOperation<SendOutcome> {
  readonly chatId: string;

  constructor(private readonly send: CheckedSecretSend) {
    this.chatId = send.chatId;
  }

  reads(reads: BatchReads): void {
    const { userId, chatId, clientMsgId, welcomes } = this.send;
    reads.member(chatId, userId);
    for (const welcome of welcomes) reads.member(chatId, welcome.userId);
    reads.clientMsgId(chatId, userId, clientMsgId);
  }

  apply(batch: ChatBatch): SendOutcome {
    const send = this.send;
    const chat = batch.chat(send.chatId);
    const member = chat && batch.member(chat.id, send.userId);
    if (!chat || !member) throw new KaifError('CHAT_NOT_FOUND');
    if (chat.type !== 'secret') {
      throw new KaifError('VALIDATION_FAILED', 'ciphertext belongs in secret chats only; send text here', { field: 'ciphertext' });
    }
    const first = batch.sent(chat.id, send.userId, send.clientMsgId);
    if (first) return { message: first, created: false };
    if (send.welcomes.length > 0 && send.kind !== 'commit') {
      throw new KaifError('VALIDATION_FAILED', 'Only a commit carries Welcomes', { field: 'welcomes' });
    }
    if (send.welcomes.some((welcome) => !batch.member(chat.id, welcome.userId))) {
      throw new KaifError('VALIDATION_FAILED', 'A Welcome must go to a device of a member of this chat', { field: 'welcomes' });
    }
    const secret = batch.secretAppends;
    const current = secret.epoch(chat.id);
    if (send.epoch > current || (send.kind === 'commit' && send.epoch !== current)) {
      throw new KaifError('EPOCH_CONFLICT', `The chat is at epoch ${current}`);
    }
    const message: Message = {
      id: randomUUID() as Message['id'],
      chatId: chat.id as Message['chatId'],
      seq: batch.lastSeq(chat) + 1,
      senderId: send.userId as Message['senderId'],
      text: null,
      replyToId: null,
      clientMsgId: send.clientMsgId,
      createdAt: batch.at.toISOString(),
      editedAt: null,
      deleted: false,
      forwardedFrom: null,
      ciphertext: send.ciphertext,
      secretKind: send.kind,
      epoch: send.epoch,
    };
    if (send.kind === 'commit') secret.advance(chat.id);
    batch.addMessage(message);
    secret.add(
      { messageId: message.id, chatId: chat.id, kind: send.kind, epoch: send.epoch, ciphertext: send.ciphertext },
      send.welcomes.map((welcome) => ({ id: randomUUID(), chatId: chat.id, seq: message.seq, epoch: send.epoch + 1, ...welcome })),
    );
    batch.append(chat, { type: 'message.new', data: { ...message }, messageId: message.id, audience: batch.audience(chat) });
    return { message, created: true };
  }
}
