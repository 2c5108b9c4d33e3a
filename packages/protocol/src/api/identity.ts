import { type Static, Type } from '@sinclair/typebox';
import { TokenText } from '../limits.js';
import { DisplayText, SafeText } from '../text.js';

/**
 * Request and response schemas of the identity API (API.md "Identity"),
 * shared by the server (validation, OpenAPI) and the SDK (types).
 */

/** Letter first, then letters, digits or underscore; 3 to 32 characters. Unique ignoring case. */
export const USERNAME_PATTERN = '^[a-zA-Z][a-zA-Z0-9_]{2,31}$';
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 1024;

const Id = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
const Time = Type.String({ description: 'ISO-8601 UTC' });
const Username = Type.String({ pattern: USERNAME_PATTERN, description: 'Letter first, then letters, digits or _; 3–32 characters' });
const Email = SafeText({ pattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$', maxLength: 254, description: 'An email address' });
const Password = SafeText({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH });
const ClientName = SafeText({ minLength: 1, maxLength: 200 });
/**
 * Browsers ask for the refresh token in an HttpOnly cookie (REFRESH_COOKIE)
 * that script cannot read, so an XSS cannot carry the session away; the
 * body then omits it. Other clients keep it in the body.
 */
const RefreshCookie = Type.Boolean({ description: 'Set the refresh token as an HttpOnly cookie and leave it out of the body' });
const Code = SafeText({ minLength: 6, maxLength: 32, description: 'A TOTP code or a recovery code' });

export const UserSchema = Type.Object({ id: Id, username: Type.String(), displayName: Type.String(), createdAt: Time });
export type User = Static<typeof UserSchema>;

/** The signed-in user: what anyone sees, plus what only they (and admins) see. */
export const MeSchema = Type.Composite([
  UserSchema,
  Type.Object({
    email: Type.Union([Type.String(), Type.Null()], { description: 'Null for an account made by a provider sign-in without a usable email' }),
    role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
    twoFactorEnabled: Type.Boolean(),
  }),
]);
export type Me = Static<typeof MeSchema>;

export const AdminUserSchema = Type.Composite([MeSchema, Type.Object({ disabled: Type.Boolean() })]);
export type AdminUser = Static<typeof AdminUserSchema>;

export const RegisterBody = Type.Object({
  username: Username,
  email: Email,
  password: Password,
  displayName: Type.Optional(DisplayText({ minLength: 1, maxLength: 64 })),
  clientName: Type.Optional(ClientName),
  refreshCookie: Type.Optional(RefreshCookie),
});
export type RegisterRequest = Static<typeof RegisterBody>;

export const LoginBody = Type.Object({
  login: SafeText({ minLength: 1, maxLength: 254, description: 'Username or email' }),
  password: Password,
  totp: Type.Optional(Code),
  clientName: Type.Optional(ClientName),
  refreshCookie: Type.Optional(RefreshCookie),
});
export type LoginRequest = Static<typeof LoginBody>;

const IssuedRefreshToken = Type.Optional(Type.String({ description: 'Absent when it was set in the refresh cookie instead' }));

export const AuthResultSchema = Type.Object({ user: UserSchema, accessToken: Type.String(), refreshToken: IssuedRefreshToken });
export type AuthResult = Static<typeof AuthResultSchema>;

export const RefreshBody = Type.Object({
  refreshToken: Type.Optional(
    SafeText({ minLength: 1, maxLength: 512, description: 'Omit to use the refresh cookie; the new one then goes there too' }),
  ),
});
export const TokenPairSchema = Type.Object({ accessToken: Type.String(), refreshToken: IssuedRefreshToken });
export type TokenPair = Static<typeof TokenPairSchema>;

/** The web client's refresh cookie: HttpOnly, Secure, SameSite=Strict, sent only to REFRESH_COOKIE_PATH. */
export const REFRESH_COOKIE = 'kaif_refresh';
/** The narrowest path that holds both refresh and logout; no other route under it reads the cookie. */
export const REFRESH_COOKIE_PATH = '/api/v1/auth';

export const VerifyBody = Type.Object({ token: TokenText });
export const VerifyResultSchema = Type.Object({ user: UserSchema });

export const SessionSchema = Type.Object({
  id: Id,
  clientName: Type.String(),
  ip: Type.String(),
  createdAt: Time,
  lastSeenAt: Time,
  current: Type.Boolean({ description: 'The session of the token making this request' }),
});
export type Session = Static<typeof SessionSchema>;
export const SessionListSchema = Type.Object({ sessions: Type.Array(SessionSchema) });

export const TwoFactorSetupSchema = Type.Object({
  secret: Type.String({ description: 'Base32 TOTP secret' }),
  otpauthUrl: Type.String(),
  qrCode: Type.String({ description: 'PNG data URL of otpauthUrl' }),
});
export type TwoFactorSetup = Static<typeof TwoFactorSetupSchema>;
export const TwoFactorCodeBody = Type.Object({ code: Code });
export const RecoveryCodesSchema = Type.Object({ recoveryCodes: Type.Array(Type.String()) });

export const PasswordChangeBody = Type.Object({ currentPassword: Password, newPassword: Password });

/**
 * Who may see the user's presence (online, last seen), as Telegram's "last
 * seen" privacy: anyone signed in, contacts (members of a direct chat or
 * group with them), or nobody. Others see it as `unknown`.
 */
export const PresenceVisibilitySchema = Type.Union([Type.Literal('everybody'), Type.Literal('contacts'), Type.Literal('nobody')]);
export type PresenceVisibility = Static<typeof PresenceVisibilitySchema>;
export const PrivacySettingsSchema = Type.Object({ presence: PresenceVisibilitySchema });
export type PrivacySettings = Static<typeof PrivacySettingsSchema>;

export const UserIdParams = Type.Object({ id: Id });
export const SessionIdParams = Type.Object({ id: Id });

export const UserSearchQuery = Type.Object({
  query: SafeText({
    minLength: 1,
    maxLength: 64,
    description: 'Username or display name, any case, a typo tolerated; a username prefix ranks first',
  }),
  limit: Type.Integer({ minimum: 1, maximum: 50, default: 20 }),
  offset: Type.Integer({ minimum: 0, maximum: 1000, default: 0, description: 'Skip this many results: the next page' }),
});
export const UserListSchema = Type.Object({ users: Type.Array(UserSchema) });

export const AdminUserQuery = Type.Object({
  query: Type.Optional(SafeText({ maxLength: 32, description: 'Username prefix' })),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
});
export const AdminUserListSchema = Type.Object({ users: Type.Array(AdminUserSchema) });

export const JwksSchema = Type.Object({
  keys: Type.Array(
    Type.Object({ kty: Type.String(), crv: Type.String(), x: Type.String(), kid: Type.String(), alg: Type.String(), use: Type.String() }),
  ),
});

export const SigningKeySchema = Type.Object({ kid: Type.String() });

/** The one-time code a new server prints at first start, redeemed to make the first admin. */
export const AdminBootstrapBody = Type.Object({ code: Type.String({ minLength: 1, maxLength: 100 }) });

/** A configured sign-in provider (OpenID Connect, GitHub …), as the sign-in screen lists it. */
export const SignInProviderSchema = Type.Object({ id: Type.String(), name: Type.String() });
export type SignInProvider = Static<typeof SignInProviderSchema>;
export const SignInProviderListSchema = Type.Object({ providers: Type.Array(SignInProviderSchema) });
export const ProviderIdParams = Type.Object({ id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,31}$' }) });

/**
 * The one-time code the provider callback hands the web client (in the URL
 * fragment, never a query), traded here for the usual token pair.
 */
export const SignInCodeBody = Type.Object({
  code: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'One-time code from the callback; works once, for 2 minutes' }),
  totp: Type.Optional(Code),
  clientName: Type.Optional(ClientName),
  refreshCookie: Type.Optional(RefreshCookie),
});
export type SignInCodeRequest = Static<typeof SignInCodeBody>;

/** Linking starts from a signed-in client, which then sends the browser to `location`. */
export const LinkStartSchema = Type.Object({ location: Type.String({ description: 'The provider’s authorization URL' }) });

export const ExternalIdentitySchema = Type.Object({
  provider: Type.String(),
  providerName: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  linkedAt: Time,
});
export type ExternalIdentity = Static<typeof ExternalIdentitySchema>;
export const ExternalIdentityListSchema = Type.Object({
  identities: Type.Array(ExternalIdentitySchema),
  hasPassword: Type.Boolean({ description: 'Whether the account can also sign in with a password' }),
});
export type ExternalIdentityList = Static<typeof ExternalIdentityListSchema>;
