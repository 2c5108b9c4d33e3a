import { randomUUID } from 'node:crypto';
import type { ChatId, UserId } from '@kaif/protocol';
import { type Selectable, sql } from 'kysely';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { IdentityApi } from '../identity/api.js';
import type { MessagingApi } from '../messaging/api.js';
import type { Transfer } from './api.js';
import type { LedgerActor } from './ledger.js';
import type { TransfersTable } from './wallet-tables.js';
import type { WalletService } from './wallet-service.js';

export interface TransferCommand {
  readonly fromUserId: string;
  readonly toUserId: string;
  readonly asset: string;
  readonly amount: bigint;
  /** The sender's key: scoped to the sender, so two users' keys never collide. */
  readonly idempotencyKey: string;
  readonly chatId?: string;
  readonly actor: LedgerActor;
}

/** The chat message of a transfer is idempotent on this clientMsgId (one per transfer). */
const clientMsgIdOf = (transferId: string) => `transfer:${transferId}`;

/**
 * Internal transfers between users: one ledger transaction (user → user,
 * instant, free) plus, with a chat, a `transfer` message in that chat.
 *
 * The two are an outbox-safe sequence, not one commit: the ledger move and
 * the transfer row (naming the chat, message not yet posted) commit first;
 * then the message is appended through the chat's log, idempotent on
 * `transfer:<transferId>`; then the row records the message. So a transfer
 * message never exists without its ledger move (it is written only after
 * that committed), and a ledger move into a chat always gets its message:
 * the caller is answered after both, a retry of the same key posts a
 * missing message, and the worker's sweep posts those a crash left behind.
 * Joining the messaging log's group commit instead would make one
 * transfer's refusal (short of funds) part of a batch of other people's
 * sends; the sequence keeps the log's batching untouched.
 */
export class TransferService {
  constructor(
    private readonly wallet: WalletService,
    private readonly messaging: MessagingApi,
    private readonly identity: IdentityApi,
    private readonly logger: Logger,
  ) {}

  async transfer(command: TransferCommand): Promise<Transfer> {
    const { fromUserId, toUserId, asset, amount, chatId } = command;
    if (!this.wallet.assets.has(asset)) throw new KaifError('ASSET_NOT_ENABLED');
    if (amount <= 0n) throw new KaifError('AMOUNT_INVALID');
    if (fromUserId === toUserId) throw new KaifError('TRANSFER_TO_SELF');
    if (!(await this.identity.getUser(toUserId as UserId))) throw new KaifError('USER_NOT_FOUND');
    if (chatId !== undefined) {
      await this.messaging.assertCanPost(fromUserId as UserId, chatId as ChatId);
      try {
        await this.messaging.assertMember(toUserId as UserId, chatId as ChatId);
      } catch {
        throw new KaifError('MEMBER_NOT_FOUND', 'The receiver is not a member of this chat');
      }
    }
    const key = `transfer:${fromUserId}:${command.idempotencyKey}`;
    const row = await this.wallet.audited(
      undefined,
      { actor: command.actor, action: 'transfer', subjectUserId: fromUserId, details: { toUserId, asset, amount: amount.toString(), chatId: chatId ?? null } },
      async (trx) => {
        const { transaction, replayed } = await this.wallet.postIn(
          trx,
          {
            idempotencyKey: key,
            kind: 'transfer',
            actor: command.actor,
            metadata: { fromUserId, toUserId, ...(chatId ? { chatId } : {}) },
            postings: [
              { account: { user: fromUserId }, asset, amount: -amount },
              { account: { user: toUserId }, asset, amount },
            ],
          },
          fromUserId,
        );
        if (replayed) {
          return trx.selectFrom('wallet.transfers').selectAll().where('transaction_id', '=', transaction.id).executeTakeFirstOrThrow();
        }
        return trx
          .insertInto('wallet.transfers')
          .values({
            id: randomUUID(),
            transaction_id: transaction.id,
            from_user_id: fromUserId,
            to_user_id: toUserId,
            asset,
            amount: amount.toString(),
            chat_id: chatId ?? null,
            message_id: null,
            message_seq: null,
            message_error: null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
      },
    );
    if (row.chat_id !== null && row.message_id === null && row.message_error === null) return this.postMessage(row);
    return transferOf(row);
  }

  /**
   * Appends a transfer's chat message (idempotent) and records it on the
   * row. A refusal that will not change (someone left the chat) is
   * recorded and the transfer stands without a message; any other failure
   * leaves it to a retry or the sweep.
   */
  async postMessage(row: TransferRow): Promise<Transfer> {
    try {
      const { message } = await this.messaging.sendTransfer(row.chat_id as ChatId, clientMsgIdOf(row.id), {
        id: row.id,
        fromUserId: row.from_user_id as UserId,
        toUserId: row.to_user_id as UserId,
        asset: row.asset,
        amount: String(row.amount),
      });
      const updated = await this.wallet.db
        .updateTable('wallet.transfers')
        .set({ message_id: message.id, message_seq: String(message.seq) })
        .where('id', '=', row.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return transferOf(updated);
    } catch (error) {
      if (error instanceof KaifError && error.status < 500) {
        await this.wallet.db.updateTable('wallet.transfers').set({ message_error: error.code }).where('id', '=', row.id).execute();
        this.logger.warn({ transferId: row.id, code: error.code }, 'a transfer’s chat message was refused; the transfer stands without it');
        return transferOf(row);
      }
      this.logger.warn({ transferId: row.id, err: (error as Error).message }, 'could not post a transfer’s chat message yet; the sweep will');
      return transferOf(row);
    }
  }

  /** Posts the chat messages of transfers older than `olderThanMs` that have none yet (after a crash). Returns how many it tried. */
  async sweepMessages(olderThanMs: number, limit = 100): Promise<number> {
    const due = await this.wallet.db
      .selectFrom('wallet.transfers')
      .selectAll()
      .where('chat_id', 'is not', null)
      .where('message_id', 'is', null)
      .where('message_error', 'is', null)
      .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanMs / 1000})`)
      .orderBy('created_at')
      .limit(limit)
      .execute();
    for (const row of due) await this.postMessage(row);
    return due.length;
  }

  async get(userId: string, transferId: string): Promise<Transfer> {
    const row = await this.wallet.db.selectFrom('wallet.transfers').selectAll().where('id', '=', transferId).executeTakeFirst();
    if (!row || (row.from_user_id !== userId && row.to_user_id !== userId)) throw new KaifError('TRANSFER_NOT_FOUND');
    return transferOf(row);
  }

  /** The user's transfers, sent and received, newest first. */
  async history(userId: string, page: { asset?: string; before?: string; limit: number }): Promise<Transfer[]> {
    let query = this.wallet.db
      .selectFrom('wallet.transfers')
      .selectAll()
      .where((eb) => eb.or([eb('from_user_id', '=', userId), eb('to_user_id', '=', userId)]));
    if (page.asset !== undefined) query = query.where('asset', '=', page.asset);
    if (page.before !== undefined) {
      // Compared in SQL: timestamps have microseconds, which a JS Date would round off.
      query = query.where(sql<boolean>`(created_at, id) < (select t.created_at, t.id from wallet.transfers t where t.id = ${page.before})`);
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.limit).execute();
    return rows.map(transferOf);
  }
}

type TransferRow = Selectable<TransfersTable>;

function transferOf(row: Pick<TransferRow, 'id' | 'from_user_id' | 'to_user_id' | 'asset' | 'amount' | 'chat_id' | 'message_id' | 'transaction_id' | 'created_at'>): Transfer {
  return {
    id: row.id,
    fromUserId: row.from_user_id,
    toUserId: row.to_user_id,
    asset: row.asset,
    amount: BigInt(row.amount),
    chatId: row.chat_id,
    messageId: row.message_id,
    transactionId: row.transaction_id,
    createdAt: new Date(row.created_at),
  };
}
