import { type SecretChats, TYPING_THROTTLE_MS } from '@kaif/client';
import type { Backend } from './backend.js';
import {
  EMPTY_HISTORY,
  INITIAL_STATE,
  type MessengerState,
  PENDING_SEQ,
  appendPage,
  applyMessageToChat,
  applyRead,
  markFailed,
  prependPage,
  upsertMessage,
  windowAround,
} from './chat-state.js';
import { SecretTranscripts } from './secret-transcripts.js';
import { Store } from './store.js';
import type { Chat, ChatId, ChatType, LiveEvent, Me, Media, Message, MessageId, SearchPage, User, UserId } from './types.js';

const PAGE_SIZE = 40;
/** Messages shown before a message opened from search. */
const CONTEXT_BEFORE = 20;

/**
 * The signed-in user's view of their chats: what the screens render, kept
 * current by the realtime connection. Sending is optimistic; the SDK's
 * offline queue delivers what was sent while disconnected.
 */
export class Messenger {
  readonly state = new Store<MessengerState>(INITIAL_STATE);
  readonly #backend: Backend;
  readonly #userRequests = new Map<string, Promise<void>>();
  readonly #typingSentAt = new Map<string, number>();
  readonly #presenceAsked = new Set<string>();
  readonly #stops: (() => void)[] = [];
  readonly secret = new SecretTranscripts();
  #secretChats: Promise<SecretChats> | undefined;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  async start(me: Me): Promise<void> {
    this.state.update((state) => ({ ...state, me, users: { ...state.users, [me.id]: me } }));
    this.#stops.push(
      this.#backend.onEvent((event) => this.#apply(event)),
      this.#backend.onConnection((connection) => {
        this.state.update((state) => ({ ...state, connection }));
        // Counters and last messages may have moved while we were away.
        if (connection === 'online') void this.refreshChats();
      }),
    );
    const timer = setInterval(() => this.#expireTyping(), 1000);
    this.#stops.push(() => clearInterval(timer));
    await this.refreshChats();
    // Publish this browser's KeyPackages at once, so others can add it to secret chats before it opens one.
    void this.secretChats().catch(() => undefined);
  }

  stop(): void {
    for (const stop of this.#stops.splice(0)) stop();
    this.#secretChats = undefined;
    this.secret.clear();
    this.#userRequests.clear();
    this.#presenceAsked.clear();
    this.state.update(() => INITIAL_STATE);
  }

  async refreshChats(): Promise<void> {
    const chats = await this.#backend.chats();
    this.state.update((state) => ({
      ...state,
      chats: Object.fromEntries(chats.map((chat) => [chat.id, mergeChat(state.chats[chat.id], chat)])),
    }));
    for (const chat of chats) this.#resolveChatPeople(chat);
  }

  async openChat(chatId: ChatId): Promise<void> {
    if (!this.state.get().chats[chatId]) {
      const chat = await this.#backend.chat(chatId);
      this.#putChat(chat);
    }
    const history = this.state.get().histories[chatId];
    if (!history?.loaded) await this.loadOlder(chatId);
  }

  async loadOlder(chatId: ChatId): Promise<void> {
    const history = this.state.get().histories[chatId] ?? EMPTY_HISTORY;
    if (history.loading || (history.loaded && !history.hasMore)) return;
    this.#setHistory(chatId, (current) => ({ ...current, loading: true }));
    const oldest = history.items.find((item) => item.seq !== PENDING_SEQ);
    try {
      const page = await this.#backend.messages(chatId, { before: oldest?.seq, limit: PAGE_SIZE });
      this.#setHistory(chatId, (current) => prependPage(current, page, PAGE_SIZE));
      for (const message of page) this.ensureUser(message.senderId);
    } catch (error) {
      this.#setHistory(chatId, (current) => ({ ...current, loading: false }));
      throw error;
    }
  }

  /** The next page of newer messages after a window opened around a search result. */
  async loadNewer(chatId: ChatId): Promise<void> {
    const history = this.state.get().histories[chatId];
    if (!history?.hasNewer || history.loading) return;
    const newest = history.items.findLast((item) => item.seq !== PENDING_SEQ);
    this.#setHistory(chatId, (current) => ({ ...current, loading: true }));
    try {
      const page = await this.#backend.messages(chatId, { after: newest?.seq ?? 0, limit: PAGE_SIZE });
      this.#setHistory(chatId, (current) => appendPage(current, page, PAGE_SIZE));
      for (const message of page) this.ensureUser(message.senderId);
    } catch (error) {
      this.#setHistory(chatId, (current) => ({ ...current, loading: false }));
      throw error;
    }
  }

  searchMessages(query: string, cursor?: string): Promise<SearchPage> {
    return this.#backend.searchMessages(query, cursor);
  }

  /**
   * Opens a chat at one message (a search result): the history becomes the
   * messages around it — CONTEXT_BEFORE older, a page newer — unless it
   * already holds it, and the conversation brings it into view.
   */
  async jumpTo(chatId: ChatId, messageId: MessageId, seq: number): Promise<void> {
    if (!this.state.get().chats[chatId]) this.#putChat(await this.#backend.chat(chatId));
    const held = this.state.get().histories[chatId]?.items.some((item) => item.id === messageId);
    if (!held) {
      const [older, newer] = await Promise.all([
        this.#backend.messages(chatId, { before: seq + 1, limit: CONTEXT_BEFORE }),
        this.#backend.messages(chatId, { after: seq, limit: PAGE_SIZE }),
      ]);
      this.#setHistory(chatId, () => windowAround(older, newer, { older: CONTEXT_BEFORE, newer: PAGE_SIZE }));
      for (const message of [...older, ...newer]) this.ensureUser(message.senderId);
    }
    this.state.update((state) => ({ ...state, focus: { chatId, messageId } }));
  }

  /** The conversation brought the focused message into view. */
  clearFocus(): void {
    if (this.state.get().focus) this.state.update((state) => ({ ...state, focus: null }));
  }

  /** Uploads a file to attach to a message; see Backend.upload. */
  upload(file: File, onProgress: (sent: number) => void, signal: AbortSignal): Promise<Media> {
    return this.#backend.upload(file, onProgress, signal);
  }

  /** A media path as an object URL to show; see Backend.mediaUrl. */
  mediaUrl(path: string): Promise<string> {
    return this.#backend.mediaUrl(path);
  }

  /** A link a player can stream from; see Backend.mediaLink. */
  mediaLink(mediaId: string): Promise<string> {
    return this.#backend.mediaLink(mediaId);
  }

  async send(chatId: ChatId, text: string, replyToId: MessageId | null, media: readonly Media[] = []): Promise<void> {
    const me = this.state.get().me;
    if (!me) return;
    const clientMsgId = crypto.randomUUID();
    // The peer hides "typing…" when this message arrives; the next keystroke must announce again.
    this.#typingSentAt.delete(chatId);
    const pending: Message = {
      id: `pending:${clientMsgId}` as MessageId,
      chatId,
      seq: PENDING_SEQ,
      senderId: me.id as UserId,
      text,
      replyToId,
      clientMsgId,
      createdAt: new Date().toISOString(),
      editedAt: null,
      deleted: false,
      ...(media.length > 0 ? { media: [...media] } : {}),
    };
    if (this.state.get().histories[chatId]?.hasNewer) {
      // Sending from a window opened by search returns to the present, as the reply lands there.
      this.#setHistory(chatId, () => EMPTY_HISTORY);
      void this.loadOlder(chatId).catch(() => undefined);
    }
    this.#setHistory(chatId, (history) => upsertMessage(history, { ...pending, status: 'sending' }));
    try {
      const message = await this.#backend.send(chatId, { clientMsgId, text, replyToId, ...(media.length > 0 ? { mediaIds: media.map((item) => item.id) } : {}) });
      this.#receive(message, true);
    } catch {
      this.#setHistory(chatId, (history) => markFailed(history, clientMsgId));
    }
  }

  async edit(chatId: ChatId, messageId: MessageId, text: string): Promise<void> {
    await this.#backend.edit(chatId, messageId, text);
  }

  async remove(chatId: ChatId, messageId: MessageId): Promise<void> {
    await this.#backend.remove(chatId, messageId);
  }

  /** Moves my read marker; called when a message scrolls into view. */
  markRead(chatId: ChatId, seq: number): void {
    const state = this.state.get();
    const chat = state.chats[chatId];
    if (!chat || seq <= chat.readSeq || seq === PENDING_SEQ) return;
    this.#putChat(applyRead(chat, state.me?.id as UserId, seq, state.me?.id as UserId));
    this.#backend.markRead(chatId, seq).catch(() => undefined);
  }

  typing(chatId: ChatId): void {
    const now = Date.now();
    if (now - (this.#typingSentAt.get(chatId) ?? 0) < TYPING_THROTTLE_MS) return;
    this.#typingSentAt.set(chatId, now);
    this.#backend.typing(chatId);
  }

  async createChat(type: ChatType, title: string | undefined, memberIds: readonly UserId[]): Promise<Chat> {
    const chat = await this.#backend.createChat({ type, title, memberIds });
    this.#putChat(chat);
    this.#resolveChatPeople(chat);
    return this.state.get().chats[chat.id] ?? chat;
  }

  /** This browser's secret chats, with their transcripts kept in `secret`. */
  secretChats(): Promise<SecretChats> {
    this.#secretChats ??= this.#backend.secretChats().then((chats) => {
      this.#stops.push(this.secret.attach(chats));
      return chats;
    });
    this.#secretChats.catch(() => {
      this.#secretChats = undefined;
    });
    return this.#secretChats;
  }

  /** A secret chat with these people: every device of theirs (and my other devices) joins its MLS group. */
  async createSecretChat(memberIds: readonly UserId[]): Promise<Chat> {
    const chatId = (await (await this.secretChats()).create(memberIds)) as ChatId;
    const chat = await this.#backend.chat(chatId);
    this.#putChat(chat);
    this.#resolveChatPeople(chat);
    return chat;
  }

  async addMember(chatId: ChatId, userId: UserId): Promise<void> {
    await this.#backend.addMember(chatId, userId);
  }

  ensureUser(id: UserId): void {
    if (this.state.get().users[id] || this.#userRequests.has(id)) return;
    const request = this.#backend
      .user(id)
      .then((user) => this.#putUser(user))
      .catch(() => {
        this.#userRequests.delete(id);
      });
    this.#userRequests.set(id, request);
  }

  #apply(event: LiveEvent): void {
    switch (event.type) {
      case 'message.new':
        this.#receive(event.message, true);
        this.#clearTyping(event.message.chatId, event.message.senderId);
        return;
      case 'message.edited':
      case 'message.deleted':
        this.#receive(event.message, false);
        return;
      case 'chat.read': {
        const state = this.state.get();
        const chat = state.chats[event.chatId];
        if (chat) this.#putChat(applyRead(chat, event.userId, event.seq, state.me?.id as UserId));
        return;
      }
      case 'chat.member':
        void this.refreshChats().catch(() => undefined);
        return;
      case 'typing':
        this.state.update((state) => ({
          ...state,
          typing: { ...state.typing, [event.chatId]: { ...state.typing[event.chatId], [event.userId]: Date.now() + event.expiresInMs } },
        }));
        this.ensureUser(event.userId);
        return;
      case 'resync': {
        const open = Object.keys(this.state.get().histories) as ChatId[];
        this.state.update((state) => ({ ...state, histories: {} }));
        void this.refreshChats().catch(() => undefined);
        for (const chatId of open) void this.loadOlder(chatId).catch(() => undefined);
        return;
      }
      case 'presence':
        this.state.update((state) => ({ ...state, presence: { ...state.presence, [event.userId]: event.status } }));
        return;
    }
  }

  #receive(message: Message, isNew: boolean): void {
    const state = this.state.get();
    const chat = state.chats[message.chatId];
    const history = state.histories[message.chatId];
    const known = history?.items.some((item) => item.id === message.id);
    // Past the end of a window opened by search there is a gap: the message arrives with its page.
    const beyondWindow = history?.hasNewer && !known && message.seq > (history.items.at(-1)?.seq ?? 0);
    if (!beyondWindow) this.#setHistory(message.chatId, (current) => upsertMessage(current, { ...message, status: 'sent' }));
    if (chat) this.#putChat(applyMessageToChat(chat, message, state.me?.id as UserId, isNew && !known));
    else void this.refreshChats().catch(() => undefined);
    this.ensureUser(message.senderId);
  }

  #resolveChatPeople(chat: Chat): void {
    if (chat.peerId) {
      this.ensureUser(chat.peerId);
      this.#ensurePresence(chat.peerId);
    }
    if (chat.lastMessage) this.ensureUser(chat.lastMessage.senderId);
  }

  /** Asked once per person; the live `presence` events keep it current after that. */
  #ensurePresence(id: UserId): void {
    if (this.#presenceAsked.has(id)) return;
    this.#presenceAsked.add(id);
    this.#backend
      .presence(id)
      .then((status) => this.state.update((state) => (state.presence[id] ? state : { ...state, presence: { ...state.presence, [id]: status } })))
      .catch(() => this.#presenceAsked.delete(id));
  }

  #clearTyping(chatId: ChatId, userId: UserId): void {
    if (!this.state.get().typing[chatId]?.[userId]) return;
    this.state.update((state) => ({ ...state, typing: { ...state.typing, [chatId]: { ...state.typing[chatId], [userId]: 0 } } }));
  }

  #expireTyping(): void {
    const now = Date.now();
    const state = this.state.get();
    const stale = Object.values(state.typing).some((users) => Object.values(users).some((until) => until !== 0 && until <= now));
    if (!stale) return;
    this.state.update((current) => ({
      ...current,
      typing: Object.fromEntries(
        Object.entries(current.typing).map(([chatId, users]) => [chatId, Object.fromEntries(Object.entries(users).filter(([, until]) => until > now))]),
      ),
    }));
  }

  #putChat(chat: Chat): void {
    this.state.update((state) => ({ ...state, chats: { ...state.chats, [chat.id]: mergeChat(state.chats[chat.id], chat) } }));
  }

  #putUser(user: User): void {
    this.state.update((state) => ({ ...state, users: { ...state.users, [user.id]: user } }));
  }

  #setHistory(chatId: ChatId, change: (history: typeof EMPTY_HISTORY) => typeof EMPTY_HISTORY): void {
    this.state.update((state) => ({
      ...state,
      histories: { ...state.histories, [chatId]: change(state.histories[chatId] ?? EMPTY_HISTORY) },
    }));
  }
}

/** A refreshed chat keeps what we learned locally that the server did not say. */
function mergeChat(previous: Chat | undefined, next: Chat): Chat {
  if (!previous) return next;
  return {
    ...next,
    peerId: next.peerId ?? previous.peerId,
    readSeq: Math.max(previous.readSeq, next.readSeq),
    peerReadSeq: Math.max(previous.peerReadSeq, next.peerReadSeq),
  };
}
