import type { SecretChats } from '@kaif/client';
import type {
  Chat,
  ChatId,
  ExternalIdentityList,
  ChatType,
  ConnectionState,
  HealthReport,
  LiveEvent,
  Me,
  Message,
  MessageId,
  Presence,
  Session,
  SignInProvider,
  TwoFactorSetup,
  User,
  UserId,
} from './types.js';

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

  user(id: UserId): Promise<User>;
  searchUsers(query: string): Promise<readonly User[]>;
  /** Whether someone is online now; later changes arrive as `presence` events. */
  presence(id: UserId): Promise<Presence>;

  chats(): Promise<readonly Chat[]>;
  chat(id: ChatId): Promise<Chat>;
  createChat(input: { readonly type: ChatType; readonly title?: string; readonly memberIds?: readonly UserId[] }): Promise<Chat>;
  addMember(chatId: ChatId, userId: UserId): Promise<void>;

  /** Newest first, strictly below `before` when given. */
  messages(chatId: ChatId, page: { readonly before?: number; readonly limit: number }): Promise<readonly Message[]>;
  /**
   * Sends once per `clientMsgId`: while offline the SDK queues it and
   * delivers on reconnect; the promise settles when the server acknowledges.
   */
  send(chatId: ChatId, input: { readonly clientMsgId: string; readonly text: string; readonly replyToId?: MessageId | null }): Promise<Message>;
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

  health(): Promise<HealthReport>;
  metrics(): Promise<string>;
}
