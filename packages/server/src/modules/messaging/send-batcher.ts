import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { KaifError } from '../../platform/http/kaif-error.js';
import { type ChatRole, type Message, type SendInput, atCapacity } from './api.js';
import { canPost } from './chat-access.js';
import { type ChatAppend, type EventDraft, type LockedChat, type MessagingTransaction, appendToChats, audienceOf, lockChats } from './event-log.js';
import type { MessagingDeps } from './messaging-deps.js';
import { PlaceHolds } from './place-holds.js';
import { MESSAGE_COLUMNS, type MessageRow, toMessage } from './views.js';

/** A send whose shape is already checked (ids are UUIDs, text and clientMsgId within limits). */
export interface CheckedSend {
  readonly userId: string;
  readonly input: SendInput;
  readonly forwardedFrom: Message['forwardedFrom'];
}

export interface SendOutcome {
  readonly message: Message;
  readonly created: boolean;
}

export interface SendBatching {
  /** The most sends one transaction carries. */
  readonly maxBatch: number;
  /**
   * Independent lanes, each committing one batch at a time; a chat always
   * goes through the same lane, so lanes never wait on each other's chat
   * locks. One on PGlite (one connection), a few on PostgreSQL.
   */
  readonly lanes: number;
  /** How long an idle lane waits for company before it commits (0: the next turn of the event loop). */
  readonly windowMs: number;
  /**
   * Sends a lane holds waiting for a batch; beyond it new sends are refused
   * at once with DEPENDENCY_UNAVAILABLE and a retry hint (default: four
   * batches). Overload sheds new work at the door; what was admitted commits.
   */
  readonly maxQueued?: number;
  /**
   * How long a place given by `admits` stays held for the send that asked
   * (default 1 s). Between admission and submission a transport spends a
   * flood-budget round trip; without the hold, every frame of a flood would
   * be admitted while the queue is still short and pile up in that round
   * trip instead of being refused at the door.
   */
  readonly holdMs?: number;
}

type Settled = { readonly ok: SendOutcome } | { readonly error: unknown };

interface Pending {
  readonly send: CheckedSend;
  readonly resolve: (outcome: SendOutcome) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit for sends (Synapse persists events per room in batches;
 * PostgreSQL and Kafka commit groups of writes with one flush). Sends that
 * arrive while a lane is committing wait for the next batch, which locks its
 * chats once in id order, checks every send set-wise under those locks,
 * assigns seqs in memory and writes all of them with one statement per
 * table. Each caller is answered after COMMIT, so an acknowledgement still
 * means durable; a send that fails a check fails alone.
 */
export class SendBatcher {
  private readonly lanes: Lane[];

  constructor(deps: MessagingDeps, options: SendBatching) {
    this.lanes = Array.from({ length: Math.max(1, options.lanes) }, () => new Lane(deps, options));
  }

  send(send: CheckedSend): Promise<SendOutcome> {
    return this.laneFor(send.input.chatId).submit(send);
  }

  /**
   * False while the chat's lane is full: a send now would be refused, so
   * callers can refuse before spending anything on it. True holds a place
   * for that send (see SendBatching.holdMs).
   */
  admits(chatId: string): boolean {
    return this.laneFor(chatId).admit();
  }

  private laneFor(chatId: string): Lane {
    return this.lanes[laneOf(chatId, this.lanes.length)]!;
  }
}

/** A chat's lane from its id's first hex digits; an id that is no UUID (refused later) takes lane 0. */
const laneOf = (chatId: string, lanes: number): number => (Number.parseInt(chatId.slice(0, 8), 16) || 0) % lanes;

class Lane {
  private queue: Pending[] = [];
  private busy = false;
  private scheduled = false;
  private readonly held: PlaceHolds;

  constructor(
    private readonly deps: MessagingDeps,
    private readonly options: SendBatching,
  ) {
    this.held = new PlaceHolds(options.holdMs ?? 1000);
  }

  private get capacity(): number {
    return this.options.maxQueued ?? this.options.maxBatch * 4;
  }

  admit(): boolean {
    if (this.queue.length + this.held.count(performance.now()) >= this.capacity) return false;
    this.held.add(performance.now());
    return true;
  }

  submit(send: CheckedSend): Promise<SendOutcome> {
    // A send that was admitted brings its held place; one that was not competes for a free one.
    if (!this.held.take() && this.queue.length + this.held.count(performance.now()) >= this.capacity) return Promise.reject(atCapacity());
    return new Promise((resolve, reject) => {
      this.queue.push({ send, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.busy || this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      void this.drain();
    };
    if (this.options.windowMs > 0) setTimeout(run, this.options.windowMs);
    else setImmediate(run);
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.options.maxBatch);
        const settled = await this.commit(batch.map((pending) => pending.send));
        batch.forEach((pending, index) => {
          const outcome = settled[index]!;
          if ('ok' in outcome) pending.resolve(outcome.ok);
          else pending.reject(outcome.error);
        });
      }
    } finally {
      this.busy = false;
    }
  }

  /**
   * One transaction for the batch. Should it fail as a whole (a lost
   * connection, a constraint no check foresaw), each send is retried in a
   * transaction of its own, so one bad send cannot sink the others.
   */
  private async commit(sends: readonly CheckedSend[]): Promise<Settled[]> {
    try {
      const settled = await this.deps.db.transaction().execute((trx) => writeBatch(trx, sends));
      if (settled.some((outcome) => 'ok' in outcome && outcome.ok.created)) this.deps.committed();
      return settled;
    } catch (error) {
      // An outage fails every send alike: retrying them one by one would only wait on it 512 times.
      if (sends.length === 1 || (error instanceof KaifError && error.code === 'DEPENDENCY_UNAVAILABLE')) return sends.map(() => ({ error }));
      const one: Settled[] = [];
      for (const send of sends) one.push(...(await this.commit([send])));
      return one;
    }
  }
}

const memberKey = (chatId: string, userId: string) => `${chatId}\u0000${userId}`;
const sentKey = (send: CheckedSend) => `${send.input.chatId}\u0000${send.userId}\u0000${send.input.clientMsgId}`;

/**
 * Writes a batch inside its transaction: three reads under the chat locks
 * (who may post, which clientMsgIds are taken, which reply targets exist),
 * then the messages and their log events, one statement per table.
 */
async function writeBatch(trx: MessagingTransaction, sends: readonly CheckedSend[]): Promise<Settled[]> {
  const chats = await lockChats(trx, [...new Set(sends.map((send) => send.input.chatId))].sort());
  const directIds = [...chats.values()].filter((chat) => chat.type === 'direct').map((chat) => chat.id);
  const members = await sql<{ chat_id: string; user_id: string; role: ChatRole }>`
    select chat_id, user_id, role from messaging.members
    where chat_id = any(${directIds}::uuid[])
       or (chat_id, user_id) in (select * from unnest(${sends.map((s) => s.input.chatId)}::uuid[], ${sends.map((s) => s.userId)}::text[]))
    order by chat_id, user_id`.execute(trx);
  const roles = new Map(members.rows.map((row) => [memberKey(row.chat_id, row.user_id), row.role]));
  const directMembers = new Map<string, string[]>(directIds.map((id) => [id, []]));
  for (const row of members.rows) directMembers.get(row.chat_id)?.push(row.user_id);
  const earlier = await sql<MessageRow>`
    select ${sql.join(MESSAGE_COLUMNS.map((column) => sql.ref(`m.${column}`)))} from messaging.messages m
    join unnest(${sends.map((s) => s.input.chatId)}::uuid[], ${sends.map((s) => s.userId)}::text[], ${sends.map((s) => s.input.clientMsgId)}::text[])
      as k(chat_id, sender_id, client_msg_id)
      on m.chat_id = k.chat_id and m.sender_id = k.sender_id and m.client_msg_id = k.client_msg_id`.execute(trx);
  const sent = new Map<string, Message>(earlier.rows.map((row) => [`${row.chat_id}\u0000${row.sender_id}\u0000${row.client_msg_id}`, toMessage(row)]));
  const replyIds = [...new Set(sends.flatMap((send) => (send.input.replyToId ? [send.input.replyToId] : [])))];
  const replyChats = new Map<string, string>();
  if (replyIds.length > 0) {
    const rows = await trx.selectFrom('messaging.messages').select(['id', 'chat_id']).where('id', 'in', replyIds).execute();
    for (const row of rows) replyChats.set(row.id, row.chat_id);
  }

  const at = new Date();
  const next = new Map<string, number>();
  const drafts = new Map<string, EventDraft[]>();
  const created: Message[] = [];
  const settled = sends.map((send): Settled => {
    const { chatId, clientMsgId, text } = send.input;
    const chat = chats.get(chatId);
    const role = roles.get(memberKey(chatId, send.userId));
    if (!chat || !role) return { error: new KaifError('CHAT_NOT_FOUND') };
    if (!canPost(chat.type, role)) return { error: new KaifError('CHAT_WRITE_FORBIDDEN') };
    const first = sent.get(sentKey(send));
    if (first) return { ok: { message: first, created: false } };
    const replyToId = send.input.replyToId ?? null;
    if (replyToId !== null && replyChats.get(replyToId) !== chatId) {
      return { error: new KaifError('VALIDATION_FAILED', 'replyToId must name a message of this chat', { field: 'replyToId' }) };
    }
    const seq = (next.get(chatId) ?? chat.lastSeq) + 1;
    next.set(chatId, seq);
    const message: Message = {
      id: randomUUID() as Message['id'],
      chatId: chat.id as Message['chatId'],
      seq,
      senderId: send.userId as Message['senderId'],
      text,
      replyToId,
      clientMsgId,
      createdAt: at.toISOString(),
      editedAt: null,
      deleted: false,
      forwardedFrom: send.forwardedFrom,
    };
    sent.set(sentKey(send), message);
    created.push(message);
    const draft: EventDraft = {
      type: 'message.new',
      data: { ...message },
      messageId: message.id,
      audience: audienceOf(chat.type, directMembers.get(chat.id) ?? []),
    };
    const chatDrafts = drafts.get(chatId);
    if (chatDrafts) chatDrafts.push(draft);
    else drafts.set(chatId, [draft]);
    return { ok: { message, created: true } };
  });
  if (created.length === 0) return settled;

  await sql`
    insert into messaging.messages (id, chat_id, seq, sender_id, client_msg_id, text, reply_to_id, forwarded_from, created_at)
    select id, chat_id, seq, sender_id, client_msg_id, text, reply_to_id, forwarded_from, ${at}::timestamptz
    from unnest(${created.map((m) => m.id)}::uuid[], ${created.map((m) => m.chatId)}::uuid[], ${created.map((m) => m.seq)}::bigint[],
                ${created.map((m) => m.senderId)}::text[], ${created.map((m) => m.clientMsgId)}::text[], ${created.map((m) => m.text)}::text[],
                ${created.map((m) => m.replyToId)}::uuid[], ${created.map((m) => (m.forwardedFrom ? JSON.stringify(m.forwardedFrom) : null))}::jsonb[])
      as m(id, chat_id, seq, sender_id, client_msg_id, text, reply_to_id, forwarded_from)`.execute(trx);
  const appends: ChatAppend[] = [...drafts].map(([chatId, chatDrafts]) => ({ chat: chats.get(chatId) as LockedChat, drafts: chatDrafts }));
  await appendToChats(trx, appends, at);
  return settled;
}
