import type { Transaction } from 'kysely';

/**
 * ERC-721 tokens on users' custodial wallets, as the market needs them
 * (adapter: the wallet's chain code, `wallet/chains/evm-nft.ts`). `chain`
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
  /** Signs safeTransferFrom(seller's custodial address → to) with the seller's custodial key; sends nothing. */
  signTransfer(input: { chain: string; sellerId: string; contract: string; tokenId: bigint; to: string }, trx?: Transaction<never>): Promise<{ raw: string; hash: string }>;
  broadcast(chain: string, raw: string): Promise<void>;
  /** undefined while not mined. */
  outcome(chain: string, hash: string): Promise<'transferred' | 'reverted' | undefined>;
}
