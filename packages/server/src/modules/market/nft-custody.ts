import type { Transaction } from 'kysely';

/** A signed transaction as stored before it is first sent: its raw bytes and hash. */
export interface SignedTx {
  readonly raw: string;
  readonly hash: string;
}

/**
 * Where a stored transaction stands: `confirming` (mined, fewer than the
 * chain's confirmations: it may still leave the chain), `succeeded` or
 * `reverted` with the gas it cost, `dropped` (never to be mined: the
 * sender's nonce moved past it with no receipt for its hash).
 */
export type TxProgress =
  | { readonly state: 'pending' }
  | { readonly state: 'confirming'; readonly confirmations: number }
  | { readonly state: 'succeeded' | 'reverted'; readonly gasCost: bigint }
  | { readonly state: 'dropped' };

/**
 * ERC-721 tokens on users' custodial wallets, as the market needs them
 * (adapter: the wallet's chain code, `wallet/chains/custodial-nfts.ts`). `chain`
 * is the EVM asset code whose chain holds the token (ETH, BNB, …).
 */
export interface NftCustody {
  /** The user's custodial address on EVM chains (checksummed). */
  addressOf(userId: string): Promise<string>;
  /** The token's owner (checksummed), undefined when it does not exist. DEPENDENCY_UNAVAILABLE when the chain is down. */
  ownerOf(chain: string, contract: string, tokenId: bigint): Promise<string | undefined>;
  /** The token's `tokenURI` (ERC-721 metadata extension), undefined when the contract has none or the token does not exist. */
  tokenUri(chain: string, contract: string, tokenId: bigint): Promise<string | undefined>;
  /** The contract's `name()` and `symbol()`, each undefined when it has none. */
  collection(chain: string, contract: string): Promise<{ name: string | undefined; symbol: string | undefined }>;
  /**
   * Signs safeTransferFrom(seller's custodial address → to) with the seller's
   * custodial key and, when that address holds less native coin than the
   * transfer may spend on gas, a top-up of the difference from the
   * platform's hot wallet (its nonce reserved in `trx`); sends nothing.
   */
  signTransfer(
    input: { chain: string; sellerId: string; contract: string; tokenId: bigint; to: string },
    trx: Transaction<never>,
  ): Promise<SignedTx & { readonly gasTopUp?: SignedTx }>;
  broadcast(chain: string, raw: string): Promise<void>;
  /** Progress of a stored transaction, judged with the chain's confirmations (KAIF_WALLET_CONFIRMATIONS). */
  progress(chain: string, raw: string): Promise<TxProgress>;
}
