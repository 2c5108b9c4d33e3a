import { type Static, Type } from '@sinclair/typebox';
import { ChatIdSchema, UserIdSchema } from '../ids.js';
import { ClientMsgId, IdText, UserIdInput } from '../limits.js';
import { SecretKindSchema } from '../message.js';

/**
 * Secret chats (API.md "Secret chats"): the server is an MLS delivery
 * service (RFC 9420 §2, RFC 9750). It orders and relays opaque MLS messages
 * and keeps a directory of KeyPackages; it never sees a key that opens them.
 */

/**
 * A commit that adds a hundred members carries their KeyPackages (~300
 * bytes each) and a path of HPKE ciphertexts: 256 KiB of base64 is room
 * for the largest group creation (CREATE_MAX_MEMBERS users × a few devices)
 * and well inside the 1 MiB body limit.
 */
export const SECRET_CIPHERTEXT_MAX_CHARS = 262_144;
/** A KeyPackage with an Ed25519/X25519 basic credential is ~300 bytes; 4 KiB leaves room for extensions. */
export const KEY_PACKAGE_MAX_CHARS = 4096;
/** KeyPackages one publish may upload. */
export const KEY_PACKAGES_PER_PUBLISH = 100;
/** Most unclaimed KeyPackages one device may hold: enough for months of new chats, not a way to fill the disk. */
export const KEY_PACKAGES_MAX_STOCK = 200;
/** Below this stock a device is told to top up (`low: true`). */
export const KEY_PACKAGES_LOW_WATER = 10;

const Base64 = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '^[A-Za-z0-9+/]+={0,2}$' });

/** A device id is chosen by the device (a UUID) and bound to its user on first publish. */
export const DeviceIdInput = IdText;

export const SecretWelcomeInput = Type.Object({
  deviceId: DeviceIdInput,
  /** An MLS Welcome (with the ratchet tree, as the SDK packs it), base64. */
  welcome: Base64(SECRET_CIPHERTEXT_MAX_CHARS),
});

export const SendSecretMessageBody = Type.Object({
  clientMsgId: ClientMsgId,
  kind: SecretKindSchema,
  /** The epoch the message was built in; a commit for an epoch that already has one is EPOCH_CONFLICT. */
  epoch: Type.Integer({ minimum: 0 }),
  ciphertext: Base64(SECRET_CIPHERTEXT_MAX_CHARS),
  /** Commits only: a Welcome for each device the commit adds, stored with the commit, atomically. */
  welcomes: Type.Optional(Type.Array(SecretWelcomeInput, { maxItems: 1000 })),
});
export type SendSecretMessageInput = Static<typeof SendSecretMessageBody>;

export const SecretWelcomeSchema = Type.Object({
  id: Type.String(),
  chatId: ChatIdSchema,
  /** The seq of the commit that added the device: it reads the log after it. */
  seq: Type.Integer({ minimum: 0 }),
  epoch: Type.Integer({ minimum: 0 }),
  welcome: Type.String(),
});
export type SecretWelcome = Static<typeof SecretWelcomeSchema>;

export const DeviceQuery = Type.Object({ deviceId: DeviceIdInput });
export const WelcomeParams = Type.Object({ welcomeId: IdText });
export const SecretWelcomeList = Type.Object({ welcomes: Type.Array(SecretWelcomeSchema) });

export const DeviceParams = Type.Object({ deviceId: DeviceIdInput });
export const PublishKeyPackagesBody = Type.Object({
  keyPackages: Type.Array(Base64(KEY_PACKAGE_MAX_CHARS), { minItems: 1, maxItems: KEY_PACKAGES_PER_PUBLISH }),
});
export const KeyPackageStockSchema = Type.Object({
  /** KeyPackages of this device not yet claimed. */
  count: Type.Integer({ minimum: 0 }),
  /** Fewer than KEY_PACKAGES_LOW_WATER: publish more. */
  low: Type.Boolean(),
});
export type KeyPackageStock = Static<typeof KeyPackageStockSchema>;

export const ClaimKeyPackagesBody = Type.Object({
  userIds: Type.Array(UserIdInput, { minItems: 1, maxItems: 100, uniqueItems: true }),
});
export const ClaimedKeyPackageSchema = Type.Object({
  userId: UserIdSchema,
  deviceId: Type.String(),
  /** Null when the device has none left: it cannot be added until it tops up ("waiting for keys"). */
  keyPackage: Type.Union([Type.String(), Type.Null()]),
});
export type ClaimedKeyPackage = Static<typeof ClaimedKeyPackageSchema>;
export const ClaimedKeyPackageList = Type.Object({ devices: Type.Array(ClaimedKeyPackageSchema) });
