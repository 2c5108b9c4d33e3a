import type { SecretKind } from '@kaif/protocol';
import { sql } from 'kysely';
import type { MessagingTransaction } from './event-log.js';

export interface SecretRow {
  readonly messageId: string;
  readonly chatId: string;
  readonly kind: SecretKind;
  readonly epoch: number;
  readonly ciphertext: string;
}

export interface WelcomeRow {
  readonly id: string;
  readonly chatId: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly seq: number;
  readonly epoch: number;
  readonly welcome: string;
}

/**
 * A batch's secret-chat writes: the ciphertext beside each new message row,
 * the Welcomes of the devices a commit adds, and each secret chat's epoch.
 * The epochs are read under the chats' row locks and moved in memory as
 * commits apply in arrival order, so of two commits built on one epoch —
 * in one batch or in two, on any node — exactly one is accepted (RFC 9420
 * §14: the delivery service orders handshake messages). One statement per
 * table, and only when the batch holds a secret-chat operation.
 */
export class SecretAppends {
  private readonly epochs = new Map<string, number>();
  private readonly moved = new Set<string>();
  private readonly rows: SecretRow[] = [];
  private readonly welcomes: WelcomeRow[] = [];

  /** A secret chat's epoch as its locked row holds it. */
  learn(chatId: string, epoch: number): void {
    this.epochs.set(chatId, epoch);
  }

  /** The epoch the chat's next commit must be built on, as the batch stands. */
  epoch(chatId: string): number {
    const epoch = this.epochs.get(chatId);
    if (epoch === undefined) throw new Error(`the batch did not read the epoch of chat ${chatId}`);
    return epoch;
  }

  /** A commit was accepted: the chat moves to the next epoch. */
  advance(chatId: string): void {
    this.epochs.set(chatId, this.epoch(chatId) + 1);
    this.moved.add(chatId);
  }

  add(row: SecretRow, welcomes: readonly WelcomeRow[]): void {
    this.rows.push(row);
    this.welcomes.push(...welcomes);
  }

  /** After the message rows (the ciphertext rows reference them). */
  async write(trx: MessagingTransaction, at: Date): Promise<void> {
    const { rows, welcomes } = this;
    if (rows.length > 0) {
      await sql`
        insert into messaging.secret_messages (message_id, chat_id, kind, epoch, ciphertext)
        select * from unnest(${rows.map((r) => r.messageId)}::uuid[], ${rows.map((r) => r.chatId)}::uuid[], ${rows.map((r) => r.kind)}::text[],
                             ${rows.map((r) => r.epoch)}::bigint[], ${rows.map((r) => r.ciphertext)}::text[])`.execute(trx);
    }
    if (welcomes.length > 0) {
      await sql`
        insert into messaging.secret_welcomes (id, chat_id, user_id, device_id, seq, epoch, welcome, created_at)
        select *, ${at}::timestamptz from unnest(${welcomes.map((w) => w.id)}::uuid[], ${welcomes.map((w) => w.chatId)}::uuid[],
          ${welcomes.map((w) => w.userId)}::text[], ${welcomes.map((w) => w.deviceId)}::text[], ${welcomes.map((w) => w.seq)}::bigint[],
          ${welcomes.map((w) => w.epoch)}::bigint[], ${welcomes.map((w) => w.welcome)}::text[])`.execute(trx);
    }
    if (this.moved.size > 0) {
      const moved = [...this.moved];
      await sql`
        update messaging.chats c set mls_epoch = d.epoch
        from unnest(${moved}::uuid[], ${moved.map((chatId) => this.epoch(chatId))}::bigint[]) as d(id, epoch)
        where c.id = d.id`.execute(trx);
    }
  }
}
