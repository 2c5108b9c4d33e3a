import { type ChatListItem, KaifClient, type SecretChats, type Chat as SdkChat } from '@kaif/client';
import type { Backend } from './backend.js';
import { marketQuery } from './market-api.js';
import { MarketLive } from './market-live.js';
import { uploadMedia } from './media-upload.js';
import { fetchHealth, fetchMetrics } from './ops-probe.js';
import type { Chat, ConnectionState, LiveEvent, Me, Message } from './types.js';

/**
 * The Backend over the SDK. Sends, read markers and typing go over the live
 * connection, so the SDK's queue delivers what was sent offline exactly once
 * (keyed by clientMsgId). The browser's own offline/online events drop and
 * restore the connection at once instead of waiting for a ping to time out.
 */
export function createSdkBackend(baseUrl: string = location.origin): Backend {
  // The refresh token stays in an HttpOnly cookie and the access token in memory:
  // nothing an injected script could read from storage and replay elsewhere.
  const client = new KaifClient({ baseUrl, refreshCookie: true });
  const { realtime } = client;
  const marketLive = new MarketLive(baseUrl, () => client.tokens.accessToken());
  let wanted = false;
  const mediaUrls = new Map<string, Promise<string>>();
  let secret: Promise<SecretChats> | undefined;
  /** The IndexedDB database of this session's secret-chat keys and history. */
  let secretDatabase: string | undefined;

  const online = () => {
    wanted = true;
    realtime.connect();
  };
  addEventListener('offline', () => wanted && realtime.disconnect());
  addEventListener('online', () => wanted && realtime.connect());

  async function enter(): Promise<Me> {
    const me = await client.auth.me();
    online();
    return me;
  }

  return {
    /** After a reload only the refresh cookie is left: trading it for an access token resumes the session. */
    async resume() {
      try {
        await client.auth.refresh();
        return await enter();
      } catch (error) {
        if ((error as { status?: number }).status === 401) {
          await client.tokens.set(null);
          return null;
        }
        throw error;
      }
    },
    async signUp(input) {
      await client.auth.register({ ...input });
      return enter();
    },
    async signIn(input) {
      await client.auth.login({ login: input.login, password: input.password, ...(input.totp ? { totp: input.totp } : {}) });
      return enter();
    },
    async signOut() {
      wanted = false;
      secret = undefined;
      marketLive.close();
      await client.auth.logout().finally(() => client.tokens.set(null));
      // The session's device ends with it: its keys and its decrypted history leave this browser too.
      if (secretDatabase) await deleteDatabase(secretDatabase);
      secretDatabase = undefined;
    },
    me: () => client.auth.me(),
    providers: () => client.auth.providers.list(),
    providerStartUrl: (providerId) => client.auth.providers.startUrl(providerId),
    async signInWithProviderCode(code, totp) {
      await client.auth.providers.exchange({ code, ...(totp ? { totp } : {}) });
      return enter();
    },
    linkProvider: async (providerId) => (await client.auth.providers.link(providerId)).location,
    linkedProviders: () => client.auth.providers.linked(),
    unlinkProvider: (providerId) => client.auth.providers.unlink(providerId),
    sessions: () => client.auth.sessions(),
    revokeSession: (id) => client.auth.revokeSession(id),
    setupTwoFactor: () => client.auth.twoFactor.setup(),
    enableTwoFactor: async (code) => (await client.auth.twoFactor.enable(code)).recoveryCodes,
    disableTwoFactor: (code) => client.auth.twoFactor.disable(code),

    depositAddress: (asset) => client.walletChain.depositAddress(asset),
    withdraw: (input) => client.walletChain.withdraw(input),
    withdrawals: () => client.walletChain.withdrawals(),

    user: (id) => client.users.get(id),
    searchUsers: (query) => client.users.search(query),
    presence: async (id) => {
      const { status } = await client.users.presence(id);
      // Hidden by the user's privacy setting: shown as offline, with no time.
      return status === 'unknown' ? 'offline' : status;
    },

    chats: async () => (await client.chats.list()).map(toChat),
    chat: async (id) => toChat(await client.chats.get(id)),
    createChat: async (input) =>
      toChat(await client.chats.create({ type: input.type, ...(input.title ? { title: input.title } : {}), ...(input.memberIds ? { memberIds: [...input.memberIds] } : {}) })),
    addMember: async (chatId, userId) => {
      await client.chats.addMember(chatId, userId);
    },

    messages: (chatId, page) =>
      client.messages.list(chatId, {
        limit: page.limit,
        ...(page.before === undefined ? {} : { before: page.before }),
        ...(page.after === undefined ? {} : { after: page.after }),
      }),
    searchMessages: async (query, cursor) => {
      const page = await client.search.messages({ q: query, ...(cursor ? { cursor } : {}) });
      return { hits: page.messages, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
    },
    send: (chatId, input) =>
      realtime.sendMessage({
        chatId,
        text: input.text,
        clientMsgId: input.clientMsgId,
        replyToId: input.replyToId ?? null,
        ...(input.mediaIds ? { mediaIds: input.mediaIds } : {}),
      }),
    async upload(file, onProgress, signal) {
      const media = await uploadMedia(baseUrl, () => client.tokens.accessToken(), file, onProgress, signal);
      // The server serves a photo only once its worker has cleaned it; the uploader sees their own copy meanwhile.
      if (media.kind === 'image' && media.status === 'processing') {
        const local = Promise.resolve(URL.createObjectURL(file));
        mediaUrls.set(media.url, local);
        if (media.thumbnailUrl) mediaUrls.set(media.thumbnailUrl, local);
      }
      return media;
    },
    async mediaLink(mediaId) {
      const response = await fetch(new URL(`/api/v1/media/${encodeURIComponent(mediaId)}/link`, baseUrl), {
        method: 'POST',
        headers: { authorization: `Bearer ${await client.tokens.accessToken()}` },
      });
      if (!response.ok) throw new Error(`media link ${response.status}`);
      return new URL(((await response.json()) as { url: string }).url, baseUrl).toString();
    },
    mediaUrl(path) {
      let url = mediaUrls.get(path);
      if (!url) {
        url = (async () => {
          const response = await fetch(new URL(path, baseUrl), { headers: { authorization: `Bearer ${await client.tokens.accessToken()}` } });
          // 202: still being processed (a photo being cleaned, a poster being drawn) — asked again later.
          if (response.status !== 200) throw new Error(`media ${response.status}`);
          return URL.createObjectURL(await response.blob());
        })();
        // A failed fetch (a photo or poster not made yet) may be tried again.
        url.catch(() => mediaUrls.delete(path));
        mediaUrls.set(path, url);
      }
      return url;
    },
    edit: async (chatId, messageId, text) => {
      await client.messages.edit(chatId, messageId, text);
    },
    remove: (chatId, messageId) => client.messages.delete(chatId, messageId),
    markRead: async (chatId, seq) => realtime.markRead(chatId, seq),
    typing: (chatId) => realtime.typing(chatId),

    secretChats() {
      secret ??= (async () => {
        // MLS is loaded only once a secret chat is used: most sessions never pay for it.
        const { SecretChats, indexedDbSecretHistory, indexedDbSecretStore } = await import('@kaif/client/secret');
        const me = await client.auth.me();
        // The server binds a device to the session that registered it: one store per session, and
        // the keys of this user's ended sessions are deleted from this browser.
        const session = (await client.auth.sessions()).find((candidate) => candidate.current);
        const prefix = `kaif-secret-${me.id}-`;
        const name = `${prefix}${session?.id ?? 'unknown'}`;
        for (const old of (await indexedDB.databases?.()) ?? []) {
          if (old.name?.startsWith(prefix) && old.name !== name) indexedDB.deleteDatabase(old.name);
        }
        secretDatabase = name;
        // Keys and decrypted history share one database, so deleting it forgets both.
        const chats = await SecretChats.open(client, indexedDbSecretStore(name), me.id, undefined, indexedDbSecretHistory(name));
        await chats.topUpKeyPackages();
        chats.follow();
        return chats;
      })();
      secret.catch(() => {
        secret = undefined;
      });
      return secret;
    },

    onEvent(listener: (event: LiveEvent) => void) {
      const message = (event: { readonly type: 'message.new' | 'message.edited' | 'message.deleted'; readonly data: Message }) =>
        listener({ type: event.type, message: event.data });
      const stops = [
        realtime.on('message.new', message),
        realtime.on('message.edited', message),
        realtime.on('message.deleted', message),
        realtime.on('chat.read', (event) => listener({ type: 'chat.read', chatId: event.chatId, userId: event.data.userId, seq: event.data.seq })),
        realtime.on('chat.member', (event) => listener({ type: 'chat.member', chatId: event.chatId, userId: event.data.userId, change: event.data.change })),
        realtime.on('typing', (event) => listener({ type: 'typing', chatId: event.chatId, userId: event.userId, expiresInMs: event.expiresInMs })),
        realtime.on('presence', (event) => listener({ type: 'presence', userId: event.userId, status: event.status })),
        realtime.on('reset', () => listener({ type: 'resync' })),
      ];
      return () => {
        for (const stop of stops) stop();
      };
    },
    onConnection(listener: (state: ConnectionState) => void) {
      listener(realtime.state === 'offline' && wanted ? 'connecting' : realtime.state);
      return realtime.on('state', listener);
    },
    onSessionEnded: (listener) => realtime.on('unauthorized', listener),

    pushPublicKey: () => client.push.vapidPublicKey(),
    subscribePush: (subscription) => client.push.subscribe({ endpoint: subscription.endpoint, keys: { ...subscription.keys } }),
    pushPreviews: async () => (await client.push.settings()).previews,
    setPushPreviews: async (previews) => {
      await client.push.setPreviews(previews);
    },
    mutedUntil: async (chatId) => (await client.chats.muteState(chatId)).mutedUntil,
    mute: async (chatId, until) => (await client.chats.mute(chatId, until)).mutedUntil,

    wallet: () => client.wallet.get(),
    walletHistory: () => client.wallet.history({ limit: 50 }),
    async sendMoney(input) {
      await client.wallet.transfer({ ...input });
    },
    onWalletBalance: (listener) => realtime.on('wallet.balance', (event) => listener({ asset: event.asset, amount: event.amount })),

    health: async () => fetchHealth(await client.tokens.accessToken()),
    metrics: async () => fetchMetrics(await client.tokens.accessToken()),
    graphql: async (query, variables) => marketQuery(baseUrl, await client.tokens.accessToken(), query, variables),
    graphqlSubscribe: (query, variables, handlers) => marketLive.subscribe(query, variables, handlers),
  };
}

/**
 * The chat list says how many messages are unread but not where my marker
 * is; "everything read" is the only marker it implies. The peer's marker is
 * read from `peerReadSeq` when the server provides it.
 */
function toChat(chat: SdkChat | ChatListItem): Chat {
  const item = chat as Partial<ChatListItem>;
  const unreadCount = item.unreadCount ?? 0;
  return {
    id: chat.id,
    type: chat.type,
    title: chat.title,
    createdAt: chat.createdAt,
    lastSeq: chat.lastSeq,
    role: chat.role,
    lastMessage: item.lastMessage ?? null,
    unreadCount,
    peerId: chat.peerId,
    readSeq: item.readSeq ?? (unreadCount === 0 ? chat.lastSeq : 0),
    peerReadSeq: item.peerReadSeq ?? 0,
  };
}

/** Deletes a database; its open connections close on the version change (see the SDK's secret database). */
function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => resolve();
  });
}
