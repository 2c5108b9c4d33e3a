import { sql } from 'kysely';
import type { ChatRole, Message } from './api.js';
import { appendInOneCall } from './append-batch-function.js';
import { type BatchOperation, BatchReads } from './batch-operation.js';
import { type ChatAppend, type EventDraft, type LockedChat, type LockedChatRow, type MessagingTransaction, appendToChats, audienceOf, toLockedChat } from './event-log.js';
import { SecretAppends } from './secret-appends.js';
import { type MessageRow, mediaJson, toMessage } from './views.js';

/**
 * How a batch writes its messages and log: one call of messaging.append_batch
 * (the default: ~1.28× the sends/s of the statements at concurrency 1,024
 * in the same run, see bench/README.md), or one statement per table.
 */
export type BatchWrites = 'statements' | 'function';

/** A member as a batch sees them: as stored, then as the batch's operations changed them. */
export interface MemberState {
  readonly role: ChatRole;
  readonly readSeq: number;
  readonly joinedAt: Date;
}

const key = (...parts: readonly string[]) => parts.join('\u0000');

/** A member row as read; open_batch's JSON gives its time as text. */
interface MemberRow {
  readonly chat_id: string;
  readonly user_id: string;
  readonly role: ChatRole;
  readonly read_seq: number;
  readonly joined_at: Date | string;
}

/** messaging.open_batch's one row: the locked chats and the reads, each a JSON array of rows. */
interface OpenedRows {
  readonly locked_chats: readonly (LockedChatRow & { readonly mls_epoch: number | null })[];
  readonly member_rows: readonly MemberRow[];
  readonly sent_rows: readonly MessageRow[];
  readonly message_rows: readonly MessageRow[];
}

interface MemberEntry {
  state: MemberState | null;
  /** A row existed before the batch. */
  readonly stored: boolean;
  /** Stored, left and came back within the batch: the row is replaced. */
  rejoined: boolean;
  changed: boolean;
}

interface MessageEntry {
  message: Message;
  readonly stored: boolean;
  changed: boolean;
}

/**
 * One batch's view of its chats, under their row locks: what was read before
 * the operations ran, changed in memory by each operation in arrival order,
 * and written at the end, a few statements whatever its size (see write).
 * Seqs are the chats'
 * `last_seq` plus the events appended so far, so they are gap-free and in
 * arrival order within each chat.
 */
export class ChatBatch {
  private readonly members = new Map<string, Map<string, MemberEntry>>();
  private readonly fullyRead = new Set<string>();
  private readonly messages = new Map<string, MessageEntry>();
  private readonly sentIds = new Map<string, Message>();
  private readonly drafts = new Map<string, EventDraft[]>();
  private readonly memberCounts = new Map<string, number>();
  private readonly deleted: string[] = [];
  private readonly secret = new SecretAppends();
  private readonly transfers: { messageId: string; chatId: string; transfer: string }[] = [];

  private constructor(
    private readonly trx: MessagingTransaction,
    private readonly chats: ReadonlyMap<string, LockedChat>,
    /** When the batch happens: every row it writes carries this time. */
    readonly at: Date,
  ) {}

  /**
   * Locks the operations' chats once each, in id order, and reads what they
   * need, in one call of messaging.open_batch (see open-batch-function.ts):
   * every member of the direct chats (so their feed rows need no more
   * reads), the named members of the other chats, earlier clientMsgIds and
   * messages named by id; secret chats' epochs come with their locked rows.
   */
  static async open(trx: MessagingTransaction, operations: readonly BatchOperation<unknown>[]): Promise<ChatBatch> {
    const reads = new BatchReads();
    for (const operation of operations) operation.reads(reads);
    const chatIds = [...new Set(operations.map((operation) => operation.chatId))].sort();
    const named = [...reads.members.values()];
    const sent = [...reads.clientMsgIds.values()];
    const messageIds = [...reads.messageIds];
    const { rows } = await sql<OpenedRows>`
      select * from messaging.open_batch(
        ${chatIds}::uuid[], ${named.map((m) => m.chatId)}::uuid[], ${named.map((m) => m.userId)}::text[],
        ${sent.map((s) => s.chatId)}::uuid[], ${sent.map((s) => s.senderId)}::text[], ${sent.map((s) => s.clientMsgId)}::text[],
        ${messageIds}::uuid[])`.execute(trx);
    const opened = rows[0]!;
    const batch = new ChatBatch(trx, new Map(opened.locked_chats.map((row) => [row.id, toLockedChat(row)])), new Date());
    batch.learn(opened, named);
    return batch;
  }

  /** What open_batch read: a named member of a locked group or channel with no row is absent. */
  private learn(opened: OpenedRows, named: readonly { readonly chatId: string; readonly userId: string }[]): void {
    for (const row of opened.locked_chats) if (row.mls_epoch !== null) this.secret.learn(row.id, Number(row.mls_epoch));
    for (const row of opened.member_rows) this.remember(row);
    for (const chat of this.chats.values()) if (chat.type === 'direct') this.fullyRead.add(chat.id);
    for (const { chatId, userId } of named) {
      const chat = this.chats.get(chatId);
      if (chat === undefined || chat.type === 'direct') continue;
      const members = this.chatMembers(chatId);
      if (!members.has(userId)) members.set(userId, absent());
    }
    for (const row of opened.sent_rows) this.sentIds.set(key(row.chat_id, row.sender_id, row.client_msg_id), toMessage(row));
    for (const row of opened.message_rows) this.messages.set(row.id, { message: toMessage(row), stored: true, changed: false });
  }

  chat(chatId: string): LockedChat | undefined {
    return this.chats.get(chatId);
  }

  /** The chat's latest seq, counting the events appended earlier in this batch. */
  lastSeq(chat: LockedChat): number {
    return chat.lastSeq + (this.drafts.get(chat.id)?.length ?? 0);
  }

  memberCount(chat: LockedChat): number {
    return this.memberCounts.get(chat.id) ?? chat.memberCount;
  }

  /** A member as they stand at this point of the batch; undefined if not (or no longer) a member. */
  member(chatId: string, userId: string): MemberState | undefined {
    const entry = this.members.get(chatId)?.get(userId);
    if (entry === undefined && !this.fullyRead.has(chatId)) throw new Error(`the batch did not read member ${userId} of chat ${chatId}`);
    return entry?.state ?? undefined;
  }

  /**
   * Every member, longest-standing first, as the batch stands. Reads the
   * whole membership once per chat, so only rare operations call it (an
   * owner leaving, whose successor is the longest-standing admin).
   */
  async allMembers(chatId: string): Promise<{ readonly userId: string; readonly state: MemberState }[]> {
    if (!this.fullyRead.has(chatId)) {
      const rows = await sql<{ chat_id: string; user_id: string; role: ChatRole; read_seq: number; joined_at: Date }>`
        select chat_id, user_id, role, read_seq, joined_at from messaging.members where chat_id = ${chatId}`.execute(this.trx);
      for (const row of rows.rows) if (!this.chatMembers(chatId).has(row.user_id)) this.remember(row);
      this.fullyRead.add(chatId);
    }
    return [...this.chatMembers(chatId)]
      .flatMap(([userId, entry]) => (entry.state ? [{ userId, state: entry.state }] : []))
      .sort((a, b) => a.state.joinedAt.getTime() - b.state.joinedAt.getTime() || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
  }

  /** Who gets a feed row for an event everyone in the chat sees (see audienceOf). */
  audience(chat: LockedChat, who: { readonly onlyFor?: string | undefined; readonly concerns?: string | undefined } = {}): readonly string[] {
    const direct = chat.type === 'direct' ? [...this.chatMembers(chat.id)].flatMap(([userId, entry]) => (entry.state ? [userId] : [])) : [];
    return audienceOf(chat.type, direct, who);
  }

  /** A message as it stands at this point of the batch (sent earlier in it, edited, deleted). */
  message(messageId: string): Message | undefined {
    return this.messages.get(messageId)?.message;
  }

  /** The message a sender stored, earlier or earlier in this batch, under a clientMsgId. */
  sent(chatId: string, senderId: string, clientMsgId: string): Message | undefined {
    return this.sentIds.get(key(chatId, senderId, clientMsgId));
  }

  /** Appends an event to the chat's log; returns its seq. */
  append(chat: LockedChat, draft: EventDraft): number {
    const drafts = this.drafts.get(chat.id) ?? [];
    drafts.push(draft);
    this.drafts.set(chat.id, drafts);
    return chat.lastSeq + drafts.length;
  }

  /** What the batch's secret-chat operations append (ciphertexts, Welcomes, epochs). */
  get secretAppends(): SecretAppends {
    return this.secret;
  }

  /** A `transfer` message's payload, written beside its message row. */
  addTransfer(message: Message): void {
    if (message.transfer) this.transfers.push({ messageId: message.id, chatId: message.chatId, transfer: JSON.stringify(message.transfer) });
  }

  addMessage(message: Message): void {
    this.messages.set(message.id, { message, stored: false, changed: true });
    this.sentIds.set(key(message.chatId, message.senderId, message.clientMsgId), message);
  }

  /** Replaces a message's text (an edit) or, with `deleted`, erases it, from the log's earlier events of this batch too. */
  changeMessage(message: Message): void {
    const entry = this.messages.get(message.id)!;
    entry.message = message;
    entry.changed = true;
    if (!message.deleted) return;
    this.deleted.push(message.id);
    const drafts = this.drafts.get(message.chatId) ?? [];
    drafts.forEach((draft, index) => {
      if (draft.messageId === message.id) {
        const { media: _gone, ...data } = draft.data as Record<string, unknown>;
        drafts[index] = { ...draft, data: { ...data, text: null } };
      }
    });
  }

  /** Sets a member's state, or ends their membership with null; moves the chat's member count with them. */
  setMember(chat: LockedChat, userId: string, state: MemberState | null): void {
    const members = this.chatMembers(chat.id);
    const entry = members.get(userId) ?? absent();
    members.set(userId, entry);
    const before = entry.state;
    if (entry.stored && before === null && state !== null) entry.rejoined = true;
    entry.state = state;
    entry.changed = true;
    if ((before === null) !== (state === null)) this.memberCounts.set(chat.id, this.memberCount(chat) + (state === null ? -1 : 1));
  }

  /**
   * Writes what the batch changed, one statement per table: members that
   * left, joined and changed; messages edited or deleted; messages sent and
   * the log itself (see appendToChats; or both in one call of
   * messaging.append_batch); last, the text of deleted messages erased from
   * every log event about them. Returns how many events it appended.
   */
  async write(writes: BatchWrites = 'function'): Promise<number> {
    await this.writeMembers();
    const created: Message[] = [];
    const changed: Message[] = [];
    for (const entry of this.messages.values()) {
      if (entry.changed) (entry.stored ? changed : created).push(entry.message);
    }
    await this.updateMessages(changed);
    const appends: ChatAppend[] = [...this.drafts].map(([chatId, drafts]) => {
      const chat = this.chats.get(chatId)!;
      const memberCount = this.memberCounts.get(chatId);
      return { chat, drafts, ...(memberCount === undefined ? {} : { memberCount }) };
    });
    let appended: number;
    if (writes === 'function') {
      appended = await appendInOneCall(this.trx, created, appends, this.at);
    } else {
      await this.insertMessages(created);
      appended = (await appendToChats(this.trx, appends, this.at)).length;
    }
    await this.secret.write(this.trx, this.at);
    if (this.transfers.length > 0) {
      const rows = this.transfers;
      await sql`
        insert into messaging.transfer_messages (message_id, chat_id, transfer)
        select * from unnest(${rows.map((r) => r.messageId)}::uuid[], ${rows.map((r) => r.chatId)}::uuid[], ${rows.map((r) => r.transfer)}::jsonb[])`.execute(this.trx);
    }
    if (this.deleted.length > 0) {
      // The earlier events' copies of a deleted message's text and media, those of this batch included (already erased in memory, so the outbox never carries them).
      await sql`
        update messaging.chat_events set payload = jsonb_set(payload, '{text}', 'null') - 'media'
        where message_id = any(${this.deleted}::uuid[]) and (payload->>'text' is not null or payload ? 'media')`.execute(this.trx);
    }
    return appended;
  }

  private async writeMembers(): Promise<void> {
    const gone: { chatId: string; userId: string }[] = [];
    const joined: { chatId: string; userId: string; state: MemberState }[] = [];
    const changed: { chatId: string; userId: string; state: MemberState }[] = [];
    for (const [chatId, members] of this.members) {
      for (const [userId, entry] of members) {
        if (!entry.changed) continue;
        if (entry.stored && (entry.state === null || entry.rejoined)) gone.push({ chatId, userId });
        if (entry.state !== null && (!entry.stored || entry.rejoined)) joined.push({ chatId, userId, state: entry.state });
        else if (entry.state !== null) changed.push({ chatId, userId, state: entry.state });
      }
    }
    if (gone.length > 0) {
      await sql`
        delete from messaging.members
        where (chat_id, user_id) in (select * from unnest(${gone.map((m) => m.chatId)}::uuid[], ${gone.map((m) => m.userId)}::text[]))`.execute(
        this.trx,
      );
    }
    if (joined.length > 0) {
      await sql`
        insert into messaging.members (chat_id, user_id, role, read_seq, joined_at)
        select * from unnest(${joined.map((m) => m.chatId)}::uuid[], ${joined.map((m) => m.userId)}::text[], ${joined.map((m) => m.state.role)}::text[],
                             ${joined.map((m) => m.state.readSeq)}::bigint[], ${joined.map((m) => m.state.joinedAt.toISOString())}::timestamptz[])`.execute(this.trx);
    }
    if (changed.length > 0) await memberChangesWrite(changed).execute(this.trx);
  }

  private async insertMessages(created: readonly Message[]): Promise<void> {
    if (created.length === 0) return;
    const at = this.at;
    await sql`
      insert into messaging.messages (id, chat_id, seq, sender_id, client_msg_id, text, reply_to_id, forwarded_from, media, created_at, edited_at, deleted_at)
      select id, chat_id, seq, sender_id, client_msg_id, text, reply_to_id, forwarded_from, media, ${at}::timestamptz, edited_at, deleted_at
      from unnest(${created.map((m) => m.id)}::uuid[], ${created.map((m) => m.chatId)}::uuid[], ${created.map((m) => m.seq)}::bigint[],
                  ${created.map((m) => m.senderId)}::text[], ${created.map((m) => m.clientMsgId)}::text[], ${created.map((m) => m.text)}::text[],
                  ${created.map((m) => m.replyToId)}::uuid[], ${created.map((m) => (m.forwardedFrom ? JSON.stringify(m.forwardedFrom) : null))}::jsonb[],
                  ${created.map((m) => mediaJson(m))}::jsonb[],
                  ${created.map((m) => m.editedAt)}::timestamptz[], ${created.map((m) => (m.deleted ? at.toISOString() : null))}::timestamptz[])
        as m(id, chat_id, seq, sender_id, client_msg_id, text, reply_to_id, forwarded_from, media, edited_at, deleted_at)`.execute(this.trx);
  }

  private async updateMessages(changed: readonly Message[]): Promise<void> {
    if (changed.length > 0) await messageChangesWrite(changed, this.at).execute(this.trx);
  }

  private chatMembers(chatId: string): Map<string, MemberEntry> {
    let members = this.members.get(chatId);
    if (!members) {
      members = new Map();
      this.members.set(chatId, members);
    }
    return members;
  }

  private remember(row: MemberRow): void {
    const state: MemberState = { role: row.role, readSeq: Number(row.read_seq), joinedAt: new Date(row.joined_at) };
    this.chatMembers(row.chat_id).set(row.user_id, { state, stored: true, rejoined: false, changed: false });
  }
}

/**
 * Members' new roles and read positions (read markers, promotions). Each row
 * is found by one probe of the primary key and updated where it lies (by
 * `ctid`): as `update … from unnest(…) where m.chat_id = d.chat_id and …`
 * PostgreSQL hashed the whole members table as sentIdsRead's join did,
 * and scanned more of it the more markers a batch carried (300 against
 * 10,000 memberships: 4.1–9.0 ms, probed 4.1–4.2, the 300 row writes being
 * most of both; past ~200,000 memberships for 512 markers). Safe
 * because only batches change members, and a batch changes only the
 * members of chats it holds locked: no other transaction can move a row
 * between the probe and the update.
 */
export function memberChangesWrite(changed: readonly { readonly chatId: string; readonly userId: string; readonly state: MemberState }[]) {
  return sql`
    update messaging.members m set role = d.role, read_seq = d.read_seq
    from unnest(${changed.map((m) => m.chatId)}::uuid[], ${changed.map((m) => m.userId)}::text[], ${changed.map((m) => m.state.role)}::text[],
                ${changed.map((m) => m.state.readSeq)}::bigint[]) as d(chat_id, user_id, role, read_seq)
    cross join lateral (select ctid as row_at from messaging.members where chat_id = d.chat_id and user_id = d.user_id limit 1) found
    where m.ctid = found.row_at`;
}

/**
 * Edited and deleted messages, found and updated as memberChangesWrite
 * finds members: by one probe of the primary key each, not a hash of every
 * message. Only batches change messages, under their chats' locks.
 */
export function messageChangesWrite(changed: readonly Message[], at: Date) {
  return sql`
    update messaging.messages m
    set text = d.text, edited_at = coalesce(d.edited_at, m.edited_at), deleted_at = coalesce(d.deleted_at, m.deleted_at),
        media = case when d.deleted_at is null then m.media end
    from unnest(${changed.map((m) => m.id)}::uuid[], ${changed.map((m) => m.text)}::text[],
                ${changed.map((m) => m.editedAt)}::timestamptz[], ${changed.map((m) => (m.deleted ? at.toISOString() : null))}::timestamptz[])
      as d(id, text, edited_at, deleted_at)
    cross join lateral (select ctid as row_at from messaging.messages where id = d.id limit 1) found
    where m.ctid = found.row_at`;
}

const absent = (): MemberEntry => ({ state: null, stored: false, rejoined: false, changed: false });
