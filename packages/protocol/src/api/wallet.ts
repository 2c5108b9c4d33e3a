import { type Static, Type } from '@sinclair/typebox';
import { Instant } from '../instant.js';

/**
 * Request and response shapes of the wallet (API.md "Wallet"). Amounts are
 * decimal strings of whole smallest units (wei, nanoton), never floats.
 */

/** A whole number of smallest units as a decimal string; positive where an amount is sent. */
export const AmountText = Type.String({ pattern: '^[0-9]{1,78}$', description: 'Smallest units (wei, nanoton) as a decimal string' });
export const AssetCode = Type.String({ pattern: '^[A-Z][A-Z0-9]{1,11}$' });
const Uuid = Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' });
export const IdempotencyKey = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' });

export const WalletAssetSchema = Type.Object({ asset: Type.String(), name: Type.String(), decimals: Type.Integer() });
export const WalletBalanceSchema = Type.Object({ asset: Type.String(), amount: Type.String() });
export const WalletSchema = Type.Object({
  balances: Type.Array(WalletBalanceSchema),
  /** The enabled assets with their decimals, so a client can format amounts. */
  assets: Type.Array(WalletAssetSchema),
});
export type WalletView = Static<typeof WalletSchema>;

/** A transfer between two users, as both of them see it (and as a `transfer` message carries it). */
export const TransferSchema = Type.Object({
  id: Type.String(),
  fromUserId: Type.String(),
  toUserId: Type.String(),
  asset: Type.String(),
  amount: Type.String(),
  chatId: Type.Union([Type.String(), Type.Null()]),
  messageId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Instant,
});
export type TransferView = Static<typeof TransferSchema>;

export const TransferBody = Type.Object(
  {
    toUserId: Uuid,
    asset: AssetCode,
    amount: AmountText,
    idempotencyKey: IdempotencyKey,
    /** Also post the transfer as a `transfer` message in this chat; both users must be members. */
    chatId: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);
export type TransferInput = Static<typeof TransferBody>;
export const TransferCreatedSchema = Type.Object({ transfer: TransferSchema });

export const TransferHistoryQuery = Type.Object(
  {
    asset: Type.Optional(AssetCode),
    /** Transfers older than this one (the previous page's last id). */
    before: Type.Optional(Uuid),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
);
export const TransferHistorySchema = Type.Object({ transfers: Type.Array(TransferSchema) });

/** One line of a user's ledger history: any movement of their money (transfer, deposit, escrow, trade, withdrawal). */
export const WalletHistoryEntrySchema = Type.Object({
  transactionId: Type.String(),
  kind: Type.String(),
  asset: Type.String(),
  /** Signed: negative when money left the account. */
  amount: Type.String(),
  createdAt: Instant,
  metadata: Type.Record(Type.String(), Type.Unknown()),
});
export const WalletHistoryQuery = Type.Object(
  {
    asset: Type.Optional(AssetCode),
    before: Type.Optional(Type.String({ pattern: '^[0-9]{1,19}$', description: 'The previous page’s last cursor' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
);
export const WalletHistorySchema = Type.Object({
  entries: Type.Array(Type.Intersect([WalletHistoryEntrySchema, Type.Object({ cursor: Type.String() })])),
});

/** Live on the user's connections when a balance moves (realtime frame `wallet.balance`). */
export const WalletBalanceEventSchema = Type.Object({
  type: Type.Literal('wallet.balance'),
  asset: Type.String(),
  amount: Type.String(),
  transactionId: Type.String(),
  kind: Type.String(),
});
export type WalletBalanceEvent = Static<typeof WalletBalanceEventSchema>;

export const AuditQuery = Type.Object(
  {
    userId: Type.Optional(Uuid),
    action: Type.Optional(Type.String({ maxLength: 64 })),
    before: Type.Optional(Type.String({ pattern: '^[0-9]{1,19}$' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  { additionalProperties: false },
);
export const AuditEntrySchema = Type.Object({
  id: Type.String(),
  at: Instant,
  actorKind: Type.String(),
  actorId: Type.Union([Type.String(), Type.Null()]),
  sessionId: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  outcome: Type.String(),
  subjectUserId: Type.Union([Type.String(), Type.Null()]),
  transactionId: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
});
export const AuditListSchema = Type.Object({ entries: Type.Array(AuditEntrySchema) });

// P2P trades

export const TradeOfferBody = Type.Object(
  {
    sellAsset: AssetCode,
    sellAmount: AmountText,
    /** The price in another asset; omit both for an off-platform payment the seller confirms. */
    priceAsset: Type.Optional(AssetCode),
    priceAmount: Type.Optional(AmountText),
    /** For an off-platform payment: how the buyer pays (shown to takers). */
    paymentTerms: Type.Optional(Type.String({ maxLength: 500 })),
    idempotencyKey: IdempotencyKey,
  },
  { additionalProperties: false },
);
export const TradeOfferSchema = Type.Object({
  id: Type.String(),
  sellerId: Type.String(),
  sellAsset: Type.String(),
  sellAmount: Type.String(),
  priceAsset: Type.Union([Type.String(), Type.Null()]),
  priceAmount: Type.Union([Type.String(), Type.Null()]),
  paymentTerms: Type.Union([Type.String(), Type.Null()]),
  state: Type.String(),
  createdAt: Instant,
});
export const TradeOfferListSchema = Type.Object({ offers: Type.Array(TradeOfferSchema) });
export const TradeSchema = Type.Object({
  id: Type.String(),
  offerId: Type.String(),
  sellerId: Type.String(),
  buyerId: Type.String(),
  sellAsset: Type.String(),
  sellAmount: Type.String(),
  priceAsset: Type.Union([Type.String(), Type.Null()]),
  priceAmount: Type.Union([Type.String(), Type.Null()]),
  /** awaiting_payment → released | refunded | cancelled; disputed → released | refunded by an admin. */
  state: Type.String(),
  expiresAt: Instant,
  createdAt: Instant,
  resolution: Type.Union([Type.String(), Type.Null()]),
});
export type TradeView = Static<typeof TradeSchema>;
export const TradeListSchema = Type.Object({ trades: Type.Array(TradeSchema) });
export const TradeIdParams = Type.Object({ id: Uuid });
export const TakeOfferBody = Type.Object({ idempotencyKey: IdempotencyKey }, { additionalProperties: false });
export const ResolveDisputeBody = Type.Object(
  { outcome: Type.Union([Type.Literal('release'), Type.Literal('refund')]), note: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);

export const SwapQuoteQuery = Type.Object(
  { from: AssetCode, to: AssetCode, amount: AmountText },
  { additionalProperties: false },
);
