import { type Static, Type } from '@sinclair/typebox';
import { ChatIdSchema, UserIdSchema } from '../ids.js';
import { ChatIdInput, IdText } from '../limits.js';
import { Instant } from '../instant.js';
import { SafeText } from '../text.js';

/**
 * Request and response shapes of Web Push (API.md "Push"): subscriptions
 * per device session, mute per chat, the preview setting, the receipt a
 * service worker posts when a notification is opened, and the delivery
 * ledger an admin reads.
 */

/** Push services hand out endpoints well under this; anything longer is not one. */
export const PUSH_ENDPOINT_MAX_CHARS = 2048;

/** base64url, as PushSubscription.toJSON() gives the keys (RFC 8291: 65-byte P-256 point, 16-byte secret). */
const Base64Url = (minLength: number, maxLength: number) => Type.String({ pattern: '^[A-Za-z0-9_-]+={0,2}$', minLength, maxLength });

export const VapidPublicKeySchema = Type.Object({ publicKey: Type.String() });

export const PushSubscriptionBody = Type.Object(
  {
    endpoint: SafeText({ minLength: 1, maxLength: PUSH_ENDPOINT_MAX_CHARS }),
    keys: Type.Object({ p256dh: Base64Url(80, 100), auth: Base64Url(16, 32) }, { additionalProperties: false }),
    expirationTime: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  },
  { additionalProperties: false },
);
export type PushSubscriptionInput = Static<typeof PushSubscriptionBody>;

export const PushSubscriptionCreatedSchema = Type.Object({ id: Type.String() });

export const PushSubscriptionSchema = Type.Object({
  id: Type.String(),
  /** Only the push service's host: the full endpoint is a capability and is never shown. */
  host: Type.String(),
  createdAt: Instant,
  /** Bound to the session making this request. */
  current: Type.Boolean(),
});
export const PushSubscriptionListSchema = Type.Object({ subscriptions: Type.Array(PushSubscriptionSchema) });

export const PushSubscriptionParams = Type.Object({ id: IdText });

export const PushSettingsSchema = Type.Object({
  /** Show the message text in notifications (default false: sender and chat only). */
  previews: Type.Boolean(),
});

export const ChatMuteBody = Type.Object(
  {
    /** Mute until this instant; null unmutes. A far-future date mutes for good. */
    until: Type.Union([Instant, Type.Null()]),
  },
  { additionalProperties: false },
);
export const ChatMuteSchema = Type.Object({ chatId: ChatIdSchema, mutedUntil: Type.Union([Instant, Type.Null()]) });
export const ChatMuteParams = Type.Object({ id: ChatIdInput });

export const PushOpenedBody = Type.Object({ receipt: SafeText({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false });

/** Where one message stands for one recipient device. */
export const PushDeliveryStateSchema = Type.Union([
  /** The user had a live connection: delivered in the app, no push. */
  Type.Literal('live'),
  /** The user muted the chat. */
  Type.Literal('muted'),
  /** Folded into a later notification of its chat (one per chat per interval): a metric label, not a ledger row. */
  Type.Literal('coalesced'),
  /** Handed to the push dispatcher, on its way to the push service. */
  Type.Literal('pushed'),
  /** The push service accepted it (201). */
  Type.Literal('accepted'),
  /** The service worker reported the notification opened. */
  Type.Literal('opened'),
  /** Held back by the device's rate limit; its count reaches the device with the chat's next notification. */
  Type.Literal('limited'),
  /** The push service answered 404/410: the subscription was removed. */
  Type.Literal('gone'),
  /** Refused or failed after retries (see detail). */
  Type.Literal('failed'),
]);
export type PushDeliveryState = Static<typeof PushDeliveryStateSchema>;

export const PushLedgerParams = Type.Object({ chatId: ChatIdInput, seq: Type.Integer({ minimum: 1 }) });
export const PushLedgerSchema = Type.Object({
  chatId: ChatIdSchema,
  seq: Type.Integer(),
  deliveries: Type.Array(
    Type.Object({
      subscriptionId: Type.String(),
      userId: UserIdSchema,
      state: PushDeliveryStateSchema,
      detail: Type.Union([Type.String(), Type.Null()]),
      updatedAt: Instant,
    }),
  ),
});

/** What the service worker receives (decrypted), for every kind of chat. */
export interface PushNotificationPayload {
  readonly v: 1;
  /** One notification per chat: the same tag replaces the previous one. */
  readonly tag: string;
  readonly chatId: string;
  readonly seq: number;
  /** The chat's title, or the sender's name in a direct chat. */
  readonly title: string;
  /** "Alice: 3 new messages", or the text when the recipient allowed previews. */
  readonly body: string;
  /** Messages pushed for this chat since the notification was last opened. */
  readonly count: number;
  /** The web client's path of the chat. */
  readonly url: string;
  /** Proves to POST /api/v1/push/opened which delivery was opened. */
  readonly receipt: string;
}
