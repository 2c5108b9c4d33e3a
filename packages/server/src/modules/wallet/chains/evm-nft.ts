import { getAddress, Interface, Transaction as EvmTransaction } from 'ethers';
import { EVM_DEPOSIT_PATH, EVM_HOT_WALLET_PATH, type ChainKeys } from './chain-keys.js';
import type { EvmChain } from './evm-chain.js';
import { TRANSFER_GAS } from './evm-withdrawals.js';

const ERC721 = new Interface([
  'function ownerOf(uint256 tokenId) view returns (address)',
  'function tokenURI(uint256 tokenId) view returns (string)',
  'function name() view returns (string)',
  'function symbol() view returns (string)',
  'function safeTransferFrom(address from, address to, uint256 tokenId)',
]);

/**
 * Gas limit of an ERC-721 transfer signed from a custodial address: fixed
 * (not estimated), so a transfer that would revert is still signed, sent and
 * settled by its receipt, and its cost is bounded: an OpenZeppelin-style
 * safeTransferFrom to an account costs ~60k; to a receiver contract more.
 */
export const NFT_TRANSFER_GAS = 150_000n;

export interface SignedNftTransfer {
  readonly raw: string;
  /** Known before the broadcast: store it with the raw bytes, then send those again after a crash. */
  readonly hash: string;
  readonly nonce: number;
  /** The most the transfer may spend on gas (gas limit × max fee): what the node wants the sender to hold before it takes it. */
  readonly maxGasCost: bigint;
}

/** Where a signed transaction stands on chain, from its raw bytes (sender and nonce included). */
export type TxProgress =
  | { readonly state: 'pending' }
  /** Mined, with fewer than the confirmations asked for: it may still leave the chain (reorg). */
  | { readonly state: 'confirming'; readonly confirmations: number }
  | { readonly state: 'succeeded' | 'reverted'; readonly gasCost: bigint }
  /** Never to be mined: the sender's nonce moved past the transaction's and no receipt exists for its hash. */
  | { readonly state: 'dropped' };

/**
 * ERC-721 tokens held on users' custodial (deposit) addresses: who owns a
 * token, and transfers signed with the deposit address's own key, opened
 * from the sealed seed in memory for the signature only (as withdrawals
 * sign). Every read and the broadcast go through the chain's resilience
 * policy (EvmChain). The deposit address pays the gas; when it holds too
 * little, the caller funds it first with `signGasTopUp` from the hot wallet
 * (README "NFT custody").
 */
export class EvmNftCustody {
  constructor(
    private readonly chain: EvmChain,
    private readonly keys: ChainKeys,
  ) {}

  /** The token's owner (checksummed), or undefined when the token does not exist (ownerOf reverts). */
  async ownerOf(contract: string, tokenId: bigint): Promise<string | undefined> {
    const data = ERC721.encodeFunctionData('ownerOf', [tokenId]);
    let answer: string;
    try {
      answer = await this.chain.call(getAddress(contract), data);
    } catch (error) {
      if (reverted(error)) return undefined;
      throw error;
    }
    if (answer === '0x') return undefined;
    return getAddress(ERC721.decodeFunctionResult('ownerOf', answer)[0] as string);
  }

  async tokenUri(contract: string, tokenId: bigint): Promise<string | undefined> {
    try {
      const answer = await this.chain.call(getAddress(contract), ERC721.encodeFunctionData('tokenURI', [tokenId]));
      return answer === '0x' ? undefined : (ERC721.decodeFunctionResult('tokenURI', answer)[0] as string);
    } catch (error) {
      if (reverted(error)) return undefined;
      throw error;
    }
  }

  /** The contract's optional metadata extension: `name()` and `symbol()`, each undefined when the contract has none (it reverts or answers nothing). */
  async collection(contract: string): Promise<{ name: string | undefined; symbol: string | undefined }> {
    const text = async (method: 'name' | 'symbol') => {
      try {
        const answer = await this.chain.call(getAddress(contract), ERC721.encodeFunctionData(method, []));
        return answer === '0x' ? undefined : (ERC721.decodeFunctionResult(method, answer)[0] as string);
      } catch (error) {
        if (reverted(error)) return undefined;
        throw error;
      }
    };
    const [name, symbol] = await Promise.all([text('name'), text('symbol')]);
    return { name, symbol };
  }

  /**
   * Signs `safeTransferFrom(from, to, tokenId)` from the custodial address
   * at a derivation index, with the address's next pending nonce and the
   * chain's EIP-1559 fees. Nothing is sent: the caller stores the raw bytes
   * and hash first. Two transfers from one address must not be signed at
   * once (same nonce): callers serialise per address.
   */
  async signTransfer(input: { derivationIndex: number; contract: string; to: string; tokenId: bigint }): Promise<SignedNftTransfer> {
    const wallet = this.keys.walletAt(EVM_DEPOSIT_PATH(input.derivationIndex));
    const [nonce, fees] = await Promise.all([this.chain.nonce(wallet.address, 'pending'), this.chain.fees()]);
    const raw = await wallet.signTransaction({
      type: 2,
      chainId: this.chain.chainId,
      nonce: Number(nonce),
      to: getAddress(input.contract),
      value: 0n,
      data: ERC721.encodeFunctionData('safeTransferFrom', [wallet.address, getAddress(input.to), input.tokenId]),
      gasLimit: NFT_TRANSFER_GAS,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
    return { raw, hash: EvmTransaction.from(raw).hash!, nonce: Number(nonce), maxGasCost: NFT_TRANSFER_GAS * fees.maxFeePerGas };
  }

  /** The native coin an address holds now (a custodial address must hold a transfer's maxGasCost). */
  balance(address: string): Promise<bigint> {
    return this.chain.balance(getAddress(address));
  }

  /** The hot wallet's transaction count on chain, to start its nonce counter when no withdrawal has yet. */
  async hotWalletNonce(): Promise<bigint> {
    return this.chain.nonce(this.keys.evmHotWalletAddress(), 'latest');
  }

  /**
   * A gas top-up: `amount` of native coin from the hot wallet (the one
   * withdrawals are paid from) to a custodial address, at a nonce the caller
   * reserved from the hot wallet's counter (`wallet.hot_wallet_nonces`, shared
   * with withdrawals). Signed in memory; nothing is sent.
   */
  async signGasTopUp(input: { to: string; amount: bigint; nonce: bigint }): Promise<{ raw: string; hash: string }> {
    const wallet = this.keys.walletAt(EVM_HOT_WALLET_PATH);
    const fees = await this.chain.fees();
    const raw = await wallet.signTransaction({
      type: 2,
      chainId: this.chain.chainId,
      nonce: Number(input.nonce),
      to: getAddress(input.to),
      value: input.amount,
      gasLimit: TRANSFER_GAS,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
    return { raw, hash: EvmTransaction.from(raw).hash! };
  }

  /**
   * Where a stored transaction stands: its receipt with `confirmations`
   * blocks (its own included) decides; with fewer it is still `confirming`
   * (a reorg may drop it: the caller keeps sending it). Without a receipt,
   * it is `dropped` once the sender's nonce as of the block `confirmations`
   * deep passed its own: another transaction took the nonce and is as final
   * as a confirmed one. The nonce is read before the receipt, so a
   * transaction mined in between still shows its receipt.
   */
  async progress(raw: string, confirmations: number): Promise<TxProgress> {
    const tx = EvmTransaction.from(raw);
    const head = await this.chain.head();
    const deep = head - BigInt(confirmations) + 1n;
    const mined = deep >= 0n ? await this.chain.nonce(tx.from!, deep) : 0n;
    const receipt = await this.chain.receipt(tx.hash!);
    if (!receipt) return mined > BigInt(tx.nonce) ? { state: 'dropped' } : { state: 'pending' };
    const seen = Number((await this.chain.head()) - receipt.blockNumber + 1n);
    if (seen < confirmations) return { state: 'confirming', confirmations: seen };
    return { state: receipt.status === 1 ? 'succeeded' : 'reverted', gasCost: receipt.gasUsed * receipt.effectiveGasPrice };
  }

  /** Sends stored bytes (again): see EvmChain.broadcast. */
  broadcast(raw: string) {
    return this.chain.broadcast(raw);
  }

  /** The transfer's outcome once mined: 'transferred' (status 1), 'reverted' (status 0), or undefined while pending. */
  async outcome(hash: string): Promise<{ state: 'transferred' | 'reverted'; blockNumber: bigint; gasCost: bigint } | undefined> {
    const receipt = await this.chain.receipt(hash);
    if (!receipt) return undefined;
    return { state: receipt.status === 1 ? 'transferred' : 'reverted', blockNumber: receipt.blockNumber, gasCost: receipt.gasUsed * receipt.effectiveGasPrice };
  }
}

/** An eth_call the node answered with a revert (as opposed to a transport failure). */
function reverted(error: unknown): boolean {
  const text = `${(error as { message?: unknown })?.message ?? ''} ${JSON.stringify((error as { info?: unknown })?.info ?? '')}`.toLowerCase();
  return text.includes('revert');
}
