import { randomUUID } from 'node:crypto';
import type { ClientPacket, ServerPacket, UserId } from '@kaif/protocol';
import type { Logger } from '../../platform/logging/logger.js';
import type { MessagingApi } from '../messaging/api.js';
import type { RealtimeSession } from '../realtime/api.js';
import { codeOf, refusal, refusalOf } from './wire-errors.js';
import { toWireMessage } from './wire-message.js';

type PacketOf<T extends ClientPacket['packet_type']> = Extract<ClientPacket, { packet_type: T }>;

export const DEFAULT_PER_PAGE = 50;
export const MAX_PER_PAGE = 100;
/** GetMessages pages by counting from the newest message; deeper history is the HTTP API's `before=<seq>`. */
export const MAX_PAGED_MESSAGES = 10_000;
const LIST_CHUNK = 100;

/**
 * What a CosmicProto packet does beyond the session's own calls (sending and
 * typing go through the session, for its rules). `userId` always comes from
 * the verified token; the packet's own `sender_id` / `user_id` were dropped
 * by parseClientPacket.
 */
export class PacketActions {
  constructor(
    private readonly messaging: MessagingApi,
    private readonly logger: Logger,
  ) {}

  /**
   * Resolves to the Ack once the message is committed. The session's
   * admission and flood charge start before this returns, so packets keep
   * their order into the store. The same `client_msg_id` again answers with
   * the first message. A packet without one gets a fresh id, so resending it
   * stores a second copy: such sends are not retry-safe, and the Ack returns
   * the id so the client can retry with it.
   */
  sendMessage(session: RealtimeSession, packet: PacketOf<'SendMessage'>): Promise<ServerPacket> {
    const clientMsgId = packet.client_msg_id ?? `wire-${randomUUID()}`;
    const mediaIds = packet.message.media_ids;
    return session.send({ chatId: packet.message.chat_id, clientMsgId, text: packet.message.content ?? '', ...(mediaIds ? { mediaIds } : {}) }).then(
      (message): ServerPacket => ({ packet_type: 'Ack', success: true, message_id: message.id, client_msg_id: clientMsgId }),
      (error: unknown) => refusalOf(error, this.logger, clientMsgId),
    );
  }

  /**
   * Page `page` of `per_page` messages counted from the newest, newest
   * first. `per_page` above 100 is treated as 100. Deleted messages are left
   * out, so a page may hold fewer.
   */
  async getMessages(userId: UserId, packet: PacketOf<'GetMessages'>): Promise<ServerPacket> {
    const perPage = Math.min(packet.per_page ?? DEFAULT_PER_PAGE, MAX_PER_PAGE);
    let toSkip = ((packet.page ?? 1) - 1) * perPage;
    if (toSkip > MAX_PAGED_MESSAGES) return refusal('VALIDATION_FAILED');
    const chatId = packet.chat_id;
    try {
      let before: number | undefined;
      while (toSkip > 0) {
        const limit = Math.min(LIST_CHUNK, toSkip);
        const skipped = await this.messaging.listMessages(userId, chatId, before === undefined ? { limit } : { before, limit });
        const oldest = skipped.at(-1);
        // Fewer than asked: the history ends before this page starts.
        if (oldest === undefined || skipped.length < limit) return { packet_type: 'Messages', chat_id: chatId, messages: [] };
        toSkip -= skipped.length;
        before = oldest.seq;
      }
      const page = await this.messaging.listMessages(
        userId,
        chatId,
        before === undefined ? { limit: perPage } : { before, limit: perPage },
      );
      const messages = page.filter((message) => !message.deleted).map(toWireMessage);
      return { packet_type: 'Messages', chat_id: chatId, messages };
    } catch (error) {
      return refusal(codeOf(error, this.logger));
    }
  }
}
