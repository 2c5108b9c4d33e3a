import { KaifError } from '../../platform/http/kaif-error.js';

export interface SwapQuoteRequest {
  readonly from: string;
  readonly to: string;
  /** Smallest units of `from`. */
  readonly amount: bigint;
}

export interface SwapQuote {
  readonly from: string;
  readonly to: string;
  readonly amountIn: bigint;
  /** Smallest units of `to` the user would get, after the provider's fee. */
  readonly amountOut: bigint;
  /** Until when the quote holds. */
  readonly expiresAt: string;
  readonly provider: string;
}

/**
 * The DEX swap seam (README.md "DEX swap"): a provider quotes and, later,
 * executes a swap against the platform's liquidity on chain. Executing
 * would post one ledger transaction (user −amountIn of `from`, +amountOut
 * of `to`, balanced against `chain_clearing` per asset) after the on-chain
 * swap settled. Not built: no provider is configured.
 */
export interface SwapProvider {
  quote(request: SwapQuoteRequest): Promise<SwapQuote>;
}

/** The only provider there is: every call is 501 SWAP_NOT_CONFIGURED. */
export const NOT_CONFIGURED_SWAP: SwapProvider = {
  async quote() {
    throw new KaifError('SWAP_NOT_CONFIGURED');
  },
};
