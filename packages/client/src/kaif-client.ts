import type {
  AuthResult,
  ChatType,
  ClaimedKeyPackage,
  ExternalIdentityList,
  KeyPackageStock,
  SecretWelcome,
  Me,
  SendSecretMessageInput,
  Session,
  SignInProvider,
  TokenPair,
  TransferInput,
  TransferView,
  TwoFactorSetup,
  User,
  WalletView,
} from '@kaif/protocol';
import type { Chat, ChatListItem, Message, MessageSearchPage, MessageSearchParams, Presence } from './api-types.js';
import { type FetchLike, HttpTransport } from './http-transport.js';
import { type CursorStore, memoryCursorStore } from './realtime/cursor-store.js';
import { RealtimeClient, type RealtimeEvents } from './realtime/realtime-client.js';
import { type WebSocketFactory, globalWebSocketFactory } from './realtime/web-socket.js';
import { SessionTokens } from './session-tokens.js';
import { type TokenStore, memoryTokenStore } from './token-store.js';

export interface KaifClientOptions {
  /** The server, e.g. https://chat.example.org */
  readonly baseUrl: string;
  readonly fetch?: FetchLike;
  readonly tokenStore?: TokenStore;
  /**
   * Browsers on the server's own origin: the server keeps the refresh token
   * in an HttpOnly cookie that script (an XSS included) cannot read, and the
   * SDK holds only the access token, in memory by default. Elsewhere the
   * refresh token comes in the body and lives in `tokenStore`.
   */
  readonly refreshCookie?: boolean;
  readonly cursorStore?: CursorStore;
  /** Required where there is no global WebSocket (Node 20: use `@kaif/client/node`). */
  readonly webSocket?: WebSocketFactory;
  readonly reconnectBaseMs?: number;
  readonly reconnectMaxMs?: number;
  readonly pingIntervalMs?: number;
}

const segment = encodeURIComponent;

/**
 * The Kaif Lake SDK: the HTTP API with token refresh, and a live connection
 * (`client.realtime`) with reconnect, catch-up and an offline send queue.
 */
export class KaifClient {
  readonly tokens: SessionTokens;
  readonly realtime: RealtimeClient;
  private readonly http: HttpTransport;
  private readonly refreshCookie: boolean;
  private readonly baseUrl: string;

  constructor(options: KaifClientOptions) {
    this.baseUrl = options.baseUrl;
    const fetcher = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.refreshCookie = options.refreshCookie === true;
    this.tokens = new SessionTokens(
      options.tokenStore ?? memoryTokenStore(),
      // Fetch sends same-origin cookies by default, so an empty body presents the refresh cookie.
      (refreshToken) => this.http.request<TokenPair>('POST', '/api/v1/auth/refresh', { body: { refreshToken }, auth: false }),
      { refreshCookie: this.refreshCookie },
    );
    this.http = new HttpTransport(options.baseUrl, fetcher, this.tokens);
    const webSocket = options.webSocket ?? globalWebSocketFactory();
    const url = new URL('/ws', options.baseUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    this.realtime = new RealtimeClient({
      url: url.toString(),
      webSocket:
        webSocket ??
        (() => {
          throw new Error('No WebSocket available: pass `webSocket` (in Node, from @kaif/client/node)');
        }),
      accessToken: () => this.tokens.accessToken(),
      refreshTokens: () => this.tokens.refresh(),
      cursorStore: options.cursorStore ?? memoryCursorStore(),
      ...(options.reconnectBaseMs === undefined ? {} : { reconnectBaseMs: options.reconnectBaseMs }),
      ...(options.reconnectMaxMs === undefined ? {} : { reconnectMaxMs: options.reconnectMaxMs }),
      ...(options.pingIntervalMs === undefined ? {} : { pingIntervalMs: options.pingIntervalMs }),
    });
  }

  /** Shorthand for `client.realtime.on`. */
  on<K extends keyof RealtimeEvents>(event: K, handler: RealtimeEvents[K]): () => void {
    return this.realtime.on(event, handler);
  }

  readonly auth = {
    register: async (body: { username: string; email: string; password: string; displayName?: string }) =>
      this.signedIn(await this.http.request<AuthResult>('POST', '/api/v1/auth/register', { body: this.withCookieChoice(body), auth: false })),
    login: async (body: { login: string; password: string; totp?: string }) =>
      this.signedIn(await this.http.request<AuthResult>('POST', '/api/v1/auth/login', { body: this.withCookieChoice(body), auth: false })),
    /** Rotates the token pair now (it also happens by itself shortly before expiry). */
    refresh: () => this.tokens.refresh(),
    /** Ends this session on the server (and clears the refresh cookie) and forgets the tokens. */
    logout: async () => {
      const tokens = await this.tokens.tokens();
      this.realtime.disconnect();
      if (tokens?.refreshToken || this.refreshCookie) {
        await this.http.request<void>('POST', '/api/v1/auth/logout', { body: { refreshToken: tokens?.refreshToken } });
      }
      await this.tokens.set(null);
    },
    me: () => this.http.request<Me>('GET', '/api/v1/me'),
    sessions: async () => (await this.http.request<{ sessions: Session[] }>('GET', '/api/v1/auth/sessions')).sessions,
    revokeSession: (sessionId: string) => this.http.request<void>('DELETE', `/api/v1/auth/sessions/${segment(sessionId)}`),
    /** Sign-in with other providers (OpenID Connect, GitHub): API.md "Sign-in with other providers". */
    providers: {
      list: async () => (await this.http.request<{ providers: SignInProvider[] }>('GET', '/api/v1/auth/providers', { auth: false })).providers,
      /** Where a browser goes to sign in with the provider (a plain navigation, not a fetch). */
      startUrl: (providerId: string) => new URL(`/api/v1/auth/providers/${segment(providerId)}/start`, this.baseUrl).href,
      /** Trades the one-time code the callback put in the URL fragment for a session. */
      exchange: async (body: { code: string; totp?: string }) =>
        this.signedIn(
          await this.http.request<AuthResult>('POST', '/api/v1/auth/providers/exchange', { body: this.withCookieChoice(body), auth: false }),
        ),
      /** Starts linking the provider to this account; send the browser to the returned `location`. */
      link: (providerId: string) => this.http.request<{ location: string }>('POST', `/api/v1/auth/providers/${segment(providerId)}/link`),
      linked: () => this.http.request<ExternalIdentityList>('GET', '/api/v1/me/identities'),
      unlink: (providerId: string) => this.http.request<void>('DELETE', `/api/v1/me/identities/${segment(providerId)}`),
    },
    twoFactor: {
      setup: () => this.http.request<TwoFactorSetup>('POST', '/api/v1/auth/2fa/setup', { body: {} }),
      enable: (code: string) => this.http.request<{ recoveryCodes: string[] }>('POST', '/api/v1/auth/2fa/enable', { body: { code } }),
      disable: (code: string) => this.http.request<void>('POST', '/api/v1/auth/2fa/disable', { body: { code } }),
    },
  };

  readonly users = {
    get: (userId: string) => this.http.request<User>('GET', `/api/v1/users/${segment(userId)}`),
    search: async (query: string) => (await this.http.request<{ users: User[] }>('GET', '/api/v1/users', { query: { query } })).users,
    presence: (userId: string) => this.http.request<Presence>('GET', `/api/v1/users/${segment(userId)}/presence`),
  };

  readonly chats = {
    create: (body: { type: ChatType; title?: string; memberIds?: string[] }) =>
      this.http.request<Chat>('POST', '/api/v1/chats', { body }),
    list: async () => (await this.http.request<{ chats: ChatListItem[] }>('GET', '/api/v1/chats')).chats,
    get: (chatId: string) => this.http.request<Chat>('GET', `/api/v1/chats/${segment(chatId)}`),
    addMember: (chatId: string, userId: string) =>
      this.http.request<Chat>('POST', `/api/v1/chats/${segment(chatId)}/members`, { body: { userId } }),
    removeMember: (chatId: string, userId: string) =>
      this.http.request<void>('DELETE', `/api/v1/chats/${segment(chatId)}/members/${segment(userId)}`),
    join: (chatId: string) => this.http.request<Chat>('POST', `/api/v1/chats/${segment(chatId)}/join`, { body: {} }),
    /** Until when the caller muted the chat's notifications (null: not muted). */
    muteState: (chatId: string) => this.http.request<{ chatId: string; mutedUntil: string | null }>('GET', `/api/v1/chats/${segment(chatId)}/mute`),
    /** Mutes notifications until `until` (ISO); null unmutes. */
    mute: (chatId: string, until: string | null) =>
      this.http.request<{ chatId: string; mutedUntil: string | null }>('PUT', `/api/v1/chats/${segment(chatId)}/mute`, { body: { until } }),
    leave: (chatId: string) => this.http.request<void>('POST', `/api/v1/chats/${segment(chatId)}/leave`, { body: {} }),
  };

  /** Web Push (API.md "Push"): subscriptions per device session and the preview setting. */
  readonly push = {
    vapidPublicKey: async () => (await this.http.request<{ publicKey: string }>('GET', '/api/v1/push/vapid-public-key')).publicKey,
    /** `subscription` as PushSubscription.toJSON() gives it. */
    subscribe: async (subscription: { endpoint: string; keys: { p256dh: string; auth: string } }) =>
      (
        await this.http.request<{ id: string }>('POST', '/api/v1/push/subscriptions', {
          body: { endpoint: subscription.endpoint, keys: { p256dh: subscription.keys.p256dh, auth: subscription.keys.auth } },
        })
      ).id,
    unsubscribe: (id: string) => this.http.request<void>('DELETE', `/api/v1/push/subscriptions/${segment(id)}`),
    subscriptions: async () =>
      (await this.http.request<{ subscriptions: { id: string; host: string; createdAt: string; current: boolean }[] }>('GET', '/api/v1/push/subscriptions'))
        .subscriptions,
    settings: () => this.http.request<{ previews: boolean }>('GET', '/api/v1/push/settings'),
    setPreviews: (previews: boolean) => this.http.request<{ previews: boolean }>('PUT', '/api/v1/push/settings', { body: { previews } }),
  };

  /** API.md "Wallet": balances, transfers (optionally as a chat message) and the ledger history. Amounts are decimal strings of smallest units. */
  readonly wallet = {
    get: () => this.http.request<WalletView>('GET', '/api/v1/wallet'),
    /** The same `idempotencyKey` again returns the same transfer; short of funds rejects with INSUFFICIENT_FUNDS. */
    transfer: async (input: TransferInput) => (await this.http.request<{ transfer: TransferView }>('POST', '/api/v1/wallet/transfers', { body: input })).transfer,
    transfers: async (page: { asset?: string; before?: string; limit?: number } = {}) =>
      (await this.http.request<{ transfers: TransferView[] }>('GET', `/api/v1/wallet/transfers${query(page)}`)).transfers,
    history: async (page: { asset?: string; before?: string; limit?: number } = {}) =>
      (await this.http.request<{ entries: WalletHistoryEntry[] }>('GET', `/api/v1/wallet/history${query(page)}`)).entries,
  };

  readonly messages = {
    /** Over HTTP; `client.realtime.sendMessage` queues while offline instead. */
    send: (chatId: string, body: { text?: string; clientMsgId?: string; replyToId?: string | null; mediaIds?: readonly string[] }) =>
      this.http.request<Message>('POST', `/api/v1/chats/${segment(chatId)}/messages`, {
        body: { ...body, clientMsgId: body.clientMsgId ?? globalThis.crypto.randomUUID() },
      }),
    /** Newest first with `before`, oldest first with `after`. */
    list: async (chatId: string, page: { before?: number; after?: number; limit?: number } = {}) =>
      (
        await this.http.request<{ messages: Message[] }>('GET', `/api/v1/chats/${segment(chatId)}/messages`, {
          query: { before: page.before, after: page.after, limit: page.limit },
        })
      ).messages,
    edit: (chatId: string, messageId: string, text: string) =>
      this.http.request<Message>('PATCH', `/api/v1/chats/${segment(chatId)}/messages/${segment(messageId)}`, { body: { text } }),
    delete: (chatId: string, messageId: string) =>
      this.http.request<void>('DELETE', `/api/v1/chats/${segment(chatId)}/messages/${segment(messageId)}`),
    read: (chatId: string, seq: number) => this.http.request<void>('POST', `/api/v1/chats/${segment(chatId)}/read`, { body: { seq } }),
  };

  /** API.md "Search": messages from every chat the caller is in, best match first. */
  readonly search = {
    messages: (query: MessageSearchParams) =>
      this.http.request<MessageSearchPage>('GET', '/api/v1/search/messages', {
        query: {
          q: query.q,
          chatId: query.chatId,
          senderId: query.senderId,
          before: query.before,
          after: query.after,
          limit: query.limit,
          cursor: query.cursor,
        },
      }),
  };

  /** The MLS key directory (API.md "Secret chats"); `SecretChats` drives it. */
  readonly keys = {
    publish: (deviceId: string, keyPackages: string[]) =>
      this.http.request<KeyPackageStock>('POST', `/api/v1/keys/devices/${segment(deviceId)}/key-packages`, { body: { keyPackages } }),
    stock: (deviceId: string) => this.http.request<KeyPackageStock>('GET', `/api/v1/keys/devices/${segment(deviceId)}/key-packages/count`),
    claim: async (userIds: string[]) =>
      (await this.http.request<{ devices: ClaimedKeyPackage[] }>('POST', '/api/v1/keys/claim', { body: { userIds } })).devices,
  };

  /** Secret chats' transport: ciphertext into the log, and this device's Welcome inbox. */
  readonly secret = {
    send: (chatId: string, body: SendSecretMessageInput) =>
      this.http.request<Message>('POST', `/api/v1/chats/${segment(chatId)}/secret-messages`, { body }),
    welcomes: async (deviceId: string) =>
      (await this.http.request<{ welcomes: SecretWelcome[] }>('GET', '/api/v1/secret/welcomes', { query: { deviceId } })).welcomes,
    dismissWelcome: (deviceId: string, welcomeId: string) =>
      this.http.request<void>('DELETE', `/api/v1/secret/welcomes/${segment(welcomeId)}`, { query: { deviceId } }),
  };

  private withCookieChoice<T extends object>(body: T): T & { refreshCookie?: true } {
    return this.refreshCookie ? { ...body, refreshCookie: true } : body;
  }

  private async signedIn(result: AuthResult): Promise<AuthResult> {
    await this.tokens.set({ accessToken: result.accessToken, refreshToken: result.refreshToken });
    return result;
  }
}

/** A wallet history line: one ledger transaction's net move on the caller's account in one asset. */
export interface WalletHistoryEntry {
  readonly transactionId: string;
  readonly cursor: string;
  readonly kind: string;
  readonly asset: string;
  /** Signed smallest units: negative when money left. */
  readonly amount: string;
  readonly createdAt: string;
  readonly metadata: Record<string, unknown>;
}

function query(params: Readonly<Record<string, string | number | undefined>>): string {
  const entries = Object.entries(params).filter((entry): entry is [string, string | number] => entry[1] !== undefined);
  return entries.length === 0 ? '' : `?${new URLSearchParams(entries.map(([key, value]) => [key, String(value)])).toString()}`;
}
