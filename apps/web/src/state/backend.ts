import type { SecretChats } from '@kaif/client';
import type { DepositAddressView, WithdrawalInput, WithdrawalView } from '@kaif/protocol';
import type {
  Chat,
  ChatId,
  ExternalIdentityList,
  ChatType,
  ConnectionState,
  HealthReport,
  LiveEvent,
  Me,
  Media,
  Message,
  MessageId,
  Presence,
  SearchPage,
  Session,
  SignInProvider,
  TwoFactorSetup,
  User,
  UserId,
  Wallet,
  WalletHistoryLine,
} from './types.js';
import type { LiveHandlers } from './market-live.js';

export interface SignUpInput {
  readonly username: string;
  readonly email: string;
  readonly password: string;
  readonly displayName?: string;
}

export interface SignInInput {
  readonly login: string;
  readonly password: string;
  readonly totp?: string;
}

/**
 * Everything the screens need from the server, in the product's words. The
 * only implementation wraps the SDK (`sdk-backend.ts`); the screens and the
 * stores never see HTTP or WebSocket details.
 */
export interface Backend {
  /** Restores a stored session; null when there is none or it expired. */
  resume(): Promise<Me | null>;
  signUp(input: SignUpInput): Promise<Me>;
  /** Rejects with TOTP_REQUIRED when the account has 2FA and `totp` is missing. */
  signIn(input: SignInInput): Promise<Me>;
  signOut(): Promise<void>;
  me(): Promise<Me>;

  /** Sign-in with other providers: empty when the server has none configured. */
  providers(): Promise<readonly SignInProvider[]>;
  /** Where the browser goes to sign in with a provider; it comes back with a one-time code in the URL fragment. */
  providerStartUrl(providerId: string): string;
  /** Trades that code for a session; rejects with TOTP_REQUIRED (the code stays good) when the account has 2FA. */
  signInWithProviderCode(code: string, totp?: string): Promise<Me>;
  /** Starts linking a provider to this account; resolves to where the browser must go. */
  linkProvider(providerId: string): Promise<string>;
  linkedProviders(): Promise<ExternalIdentityList>;
  unlinkProvider(providerId: string): Promise<void>;

  sessions(): Promise<readonly Session[]>;
  revokeSession(id: string): Promise<void>;
  setupTwoFactor(): Promise<TwoFactorSetup>;
  enableTwoFactor(code: string): Promise<readonly string[]>;
  disableTwoFactor(code: string): Promise<void>;

  /** The caller's deposit address of an asset, with a payment URI and its QR code. */
  depositAddress(asset: string): Promise<DepositAddressView>;
  /** Rejects with TOTP_REQUIRED when 2FA is on and `totpCode` is missing, INSUFFICIENT_FUNDS, WITHDRAWAL_LIMIT_EXCEEDED … */
  withdraw(input: WithdrawalInput): Promise<WithdrawalView>;
  withdrawals(): Promise<readonly WithdrawalView[]>;

  user(id: UserId): Promise<User>;
  searchUsers(query: string): Promise<readonly User[]>;
  /** Whether someone is online now; later changes arrive as `presence` events. */
  presence(id: UserId): Promise<Presence>;

  chats(): Promise<readonly Chat[]>;
  chat(id: ChatId): Promise<Chat>;
  createChat(input: { readonly type: ChatType; readonly title?: string; readonly memberIds?: readonly UserId[] }): Promise<Chat>;
  addMember(chatId: ChatId, userId: UserId): Promise<void>;

  /** Newest first, strictly below `before` when given; oldest first, strictly above `after`, when that is given. */
  messages(chatId: ChatId, page: { readonly before?: number; readonly after?: number; readonly limit: number }): Promise<readonly Message[]>;
  /** Messages in every chat I am in that match `query`, best first. */
  searchMessages(query: string, cursor?: string): Promise<SearchPage>;
  /**
   * Sends once per `clientMsgId`: while offline the SDK queues it and
   * delivers on reconnect; the promise settles when the server acknowledges.
   */
  send(
    chatId: ChatId,
    input: { readonly clientMsgId: string; readonly text: string; readonly replyToId?: MessageId | null; readonly mediaIds?: readonly string[] },
  ): Promise<Message>;
  /**
   * Uploads a file (POST /api/v1/media; from 8 MiB resumably, tus at
   * /api/v1/uploads, so a dropped connection or a reload resumes it),
   * reporting the share of bytes sent (0–1); rejects with the server's
   * error (PAYLOAD_TOO_LARGE, MEDIA_REJECTED …) or an AbortError when
   * `signal` fires.
   */
  upload(file: File, onProgress: (sent: number) => void, signal: AbortSignal): Promise<Media>;
  /**
   * A media path (`media.url`, `media.thumbnailUrl`) as an object URL an
   * <img> or <video> can show: fetched with the access token, which never
   * goes into a URL. Cached per path for the page's life.
   */
  mediaUrl(path: string): Promise<string>;
  /**
   * A short-lived link (an hour) to a media that needs no token, so a
   * <video> or <audio> element streams it with Range requests instead of
   * downloading it whole first.
   */
  mediaLink(mediaId: string): Promise<string>;
  edit(chatId: ChatId, messageId: MessageId, text: string): Promise<void>;
  remove(chatId: ChatId, messageId: MessageId): Promise<void>;
  markRead(chatId: ChatId, seq: number): Promise<void>;
  typing(chatId: ChatId): void;

  /**
   * This browser's secret chats (MLS in the SDK; keys in IndexedDB): opened
   * on first use after sign-in, publishing KeyPackages and following the
   * live connection.
   */
  secretChats(): Promise<SecretChats>;

  onEvent(listener: (event: LiveEvent) => void): () => void;
  onConnection(listener: (state: ConnectionState) => void): () => void;
  /** The server ended this session (revoked elsewhere, token reuse): sign in again. */
  onSessionEnded(listener: () => void): () => void;

  /** The server's VAPID key, to subscribe this browser to Web Push with. */
  pushPublicKey(): Promise<string>;
  /** Binds a browser push subscription (PushSubscription.toJSON()) to this device session. */
  subscribePush(subscription: { readonly endpoint: string; readonly keys: { readonly p256dh: string; readonly auth: string } }): Promise<string>;
  /** Whether notifications show the message text (off by default). */
  pushPreviews(): Promise<boolean>;
  setPushPreviews(previews: boolean): Promise<void>;
  /** Until when this chat's notifications are muted (ISO), or null. */
  mutedUntil(chatId: ChatId): Promise<string | null>;
  /** Mutes until `until` (ISO), or unmutes with null; resolves with the mute in force. */
  mute(chatId: ChatId, until: string | null): Promise<string | null>;

  /** Balances of every enabled asset, with each asset's decimals (amounts in smallest units, as strings). */
  wallet(): Promise<Wallet>;
  /** Every movement of my money, newest first. */
  walletHistory(): Promise<readonly WalletHistoryLine[]>;
  /**
   * Sends money to a user, with chatId also as a transfer message in that
   * chat. The same idempotencyKey again is the same transfer (safe to retry);
   * rejects with INSUFFICIENT_FUNDS when short.
   */
  sendMoney(input: { readonly toUserId: UserId; readonly asset: string; readonly amount: string; readonly idempotencyKey: string; readonly chatId?: ChatId }): Promise<void>;
  /** A balance of mine moved (live). */
  onWalletBalance(listener: (event: { readonly asset: string; readonly amount: string }) => void): () => void;

  health(): Promise<HealthReport>;
  metrics(): Promise<string>;

  /** One marketplace GraphQL operation (POST /api/graphql); throws MarketError with the first error's code. */
  graphql<T>(query: string, variables?: Readonly<Record<string, unknown>>): Promise<T>;
  /** A marketplace GraphQL subscription, live over WebSocket (reconnecting); returns the function that ends it. */
  graphqlSubscribe<T>(query: string, variables: Readonly<Record<string, unknown>>, handlers: LiveHandlers<T>): () => void;
}
