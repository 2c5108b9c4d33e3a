import { type Static, Type } from '@sinclair/typebox';

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
const Email = Type.String({ pattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$', maxLength: 254 });
const Password = Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH });
const Code = Type.String({ minLength: 6, maxLength: 32, description: 'A TOTP code or a recovery code' });

export const UserSchema = Type.Object({ id: Id, username: Type.String(), displayName: Type.String(), createdAt: Time });
export type User = Static<typeof UserSchema>;

/** The signed-in user: what anyone sees, plus what only they (and admins) see. */
export const MeSchema = Type.Composite([
  UserSchema,
  Type.Object({
    email: Type.String(),
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
  displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  clientName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});
export type RegisterRequest = Static<typeof RegisterBody>;

export const LoginBody = Type.Object({
  login: Type.String({ minLength: 1, maxLength: 254, description: 'Username or email' }),
  password: Password,
  totp: Type.Optional(Code),
  clientName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});
export type LoginRequest = Static<typeof LoginBody>;

export const AuthResultSchema = Type.Object({ user: UserSchema, accessToken: Type.String(), refreshToken: Type.String() });
export type AuthResult = Static<typeof AuthResultSchema>;

export const RefreshBody = Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 512 }) });
export const TokenPairSchema = Type.Object({ accessToken: Type.String(), refreshToken: Type.String() });
export type TokenPair = Static<typeof TokenPairSchema>;

export const VerifyBody = Type.Object({ token: Type.String({ minLength: 1, maxLength: 4096 }) });
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

export const UserIdParams = Type.Object({ id: Id });
export const SessionIdParams = Type.Object({ id: Id });

export const UserSearchQuery = Type.Object({
  query: Type.String({ minLength: 1, maxLength: 32, description: 'Username prefix, case-insensitive' }),
  limit: Type.Integer({ minimum: 1, maximum: 50, default: 20 }),
});
export const UserListSchema = Type.Object({ users: Type.Array(UserSchema) });

export const AdminUserQuery = Type.Object({
  query: Type.Optional(Type.String({ maxLength: 32, description: 'Username prefix' })),
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
