import { type Static, Type } from '@sinclair/typebox';
import { Instant } from '../instant.js';
import { AmountText, AssetCode, IdempotencyKey } from './wallet.js';

/** Deposits and withdrawals on chain (the wallet's chain side). Amounts are smallest units as decimal strings. */

export const DepositAddressQuery = Type.Object({ asset: AssetCode }, { additionalProperties: false });
export const DepositAddressSchema = Type.Object({
  asset: Type.String(),
  /** The caller's own address: EVM `0x…` (checksummed), TON user-friendly form. */
  address: Type.String(),
  /** Present for TON: the comment a deposit must carry (memo-based deposits), absent on EVM. */
  memo: Type.Optional(Type.String()),
  /** A payment URI wallet apps open (EIP-681 `ethereum:0x…@chainId`, or `ton://transfer/…?text=memo`). */
  uri: Type.Optional(Type.String()),
  /** That URI as a QR code (a PNG data URL), to scan with a phone wallet. */
  qrCode: Type.Optional(Type.String()),
});
export type DepositAddressView = Static<typeof DepositAddressSchema>;

export const WithdrawalBody = Type.Object(
  {
    asset: AssetCode,
    amount: AmountText,
    toAddress: Type.String({ minLength: 1, maxLength: 128 }),
    idempotencyKey: IdempotencyKey,
    /** Required when the account has two-factor authentication on: a TOTP or recovery code. */
    totpCode: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  },
  { additionalProperties: false },
);
export type WithdrawalInput = Static<typeof WithdrawalBody>;

export const WithdrawalSchema = Type.Object({
  id: Type.String(),
  asset: Type.String(),
  amount: Type.String(),
  /** Charged on top of the amount: the most gas the withdrawal may spend; what gas leaves unspent stays with the platform's fees. */
  fee: Type.String(),
  toAddress: Type.String(),
  state: Type.Union([Type.Literal('reserved'), Type.Literal('signed'), Type.Literal('broadcast'), Type.Literal('settled'), Type.Literal('failed')]),
  txHash: Type.Union([Type.String(), Type.Null()]),
  createdAt: Instant,
});
export type WithdrawalView = Static<typeof WithdrawalSchema>;
export const WithdrawalCreatedSchema = Type.Object({ withdrawal: WithdrawalSchema });
export const WithdrawalListSchema = Type.Object({ withdrawals: Type.Array(WithdrawalSchema) });
