import { JsonRpcProvider } from 'ethers';
import type { DependencyPolicy } from '../../../platform/resilience/dependency-policy.js';

/** A block as the watcher needs it: number, hash, parent and its native transfers. */
export interface EvmBlock {
  readonly number: bigint;
  readonly hash: string;
  readonly parentHash: string;
  readonly baseFeePerGas: bigint | null;
  readonly transactions: readonly EvmTransfer[];
}

export interface EvmTransfer {
  readonly hash: string;
  readonly from: string;
  /** Lower-case; null for a contract creation. */
  readonly to: string | null;
  readonly value: bigint;
}

export interface EvmReceipt {
  readonly transactionHash: string;
  readonly blockNumber: bigint;
  readonly blockHash: string;
  /** 1 success, 0 reverted. */
  readonly status: number;
  readonly gasUsed: bigint;
  readonly effectiveGasPrice: bigint;
}

export interface EvmFees {
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

interface RpcBlock {
  number: string;
  hash: string;
  parentHash: string;
  baseFeePerGas?: string;
  transactions: { hash: string; from: string; to: string | null; value: string }[];
}

interface RpcReceipt {
  transactionHash: string;
  blockNumber: string;
  blockHash: string;
  status: string;
  gasUsed: string;
  effectiveGasPrice: string;
}

/**
 * JSON-RPC to one EVM chain (Ethereum, BSC or any other by chain id),
 * every call through the chain's resilience policy: reads are retried with
 * backoff, a broadcast is tried once per call (the withdrawal worker calls
 * again on its next round with the same raw transaction, so the hash never
 * changes). An open breaker fails fast with DEPENDENCY_UNAVAILABLE.
 */
export class EvmChain {
  private readonly provider: JsonRpcProvider;

  constructor(
    readonly asset: string,
    readonly chainId: number,
    rpcUrl: string,
    private readonly policy: DependencyPolicy,
  ) {
    // Static network and no cache: the watcher must see every new head, and
    // a node that is down must not make ethers retry on its own.
    this.provider = new JsonRpcProvider(rpcUrl, chainId, { staticNetwork: true, cacheTimeout: -1, batchMaxCount: 1 });
  }

  private read<T>(method: string, params: unknown[]): Promise<T> {
    return this.policy.execute(() => this.provider.send(method, params) as Promise<T>, { idempotent: true });
  }

  /** The chain id the node reports, to refuse a node of another chain at start. */
  async remoteChainId(): Promise<number> {
    return Number(BigInt(await this.read<string>('eth_chainId', [])));
  }

  async head(): Promise<bigint> {
    return BigInt(await this.read<string>('eth_blockNumber', []));
  }

  /** The block at a height with its transactions, or undefined past the head. */
  async block(number: bigint): Promise<EvmBlock | undefined> {
    const block = await this.read<RpcBlock | null>('eth_getBlockByNumber', [`0x${number.toString(16)}`, true]);
    if (!block) return undefined;
    return {
      number: BigInt(block.number),
      hash: block.hash,
      parentHash: block.parentHash,
      baseFeePerGas: block.baseFeePerGas ? BigInt(block.baseFeePerGas) : null,
      transactions: block.transactions.map((tx) => ({ hash: tx.hash, from: tx.from.toLowerCase(), to: tx.to?.toLowerCase() ?? null, value: BigInt(tx.value) })),
    };
  }

  async blockHash(number: bigint): Promise<string | undefined> {
    const block = await this.read<RpcBlock | null>('eth_getBlockByNumber', [`0x${number.toString(16)}`, false]);
    return block?.hash;
  }

  async receipt(hash: string): Promise<EvmReceipt | undefined> {
    const receipt = await this.read<RpcReceipt | null>('eth_getTransactionReceipt', [hash]);
    if (!receipt) return undefined;
    return {
      transactionHash: receipt.transactionHash,
      blockNumber: BigInt(receipt.blockNumber),
      blockHash: receipt.blockHash,
      status: Number(BigInt(receipt.status)),
      gasUsed: BigInt(receipt.gasUsed),
      effectiveGasPrice: BigInt(receipt.effectiveGasPrice),
    };
  }

  /** A read-only contract call (eth_call at the latest block); a revert throws the node's answer. */
  async call(to: string, data: string): Promise<string> {
    return this.read<string>('eth_call', [{ to, data }, 'latest']);
  }

  /** The address's transaction count at the latest block, counting pending ones, or as of a block number. */
  async nonce(address: string, tag: 'latest' | 'pending' | bigint): Promise<bigint> {
    return BigInt(await this.read<string>('eth_getTransactionCount', [address, typeof tag === 'bigint' ? `0x${tag.toString(16)}` : tag]));
  }

  async balance(address: string): Promise<bigint> {
    return BigInt(await this.read<string>('eth_getBalance', [address, 'latest']));
  }

  /**
   * EIP-1559 fees: the node's suggested priority fee and twice the latest
   * base fee plus it, so the transaction stays includable through six full
   * blocks of base-fee rises (12.5% each).
   */
  async fees(): Promise<EvmFees> {
    const [latest, priority] = await Promise.all([
      this.read<RpcBlock>('eth_getBlockByNumber', ['latest', false]),
      this.read<string>('eth_maxPriorityFeePerGas', []),
    ]);
    const baseFee = latest.baseFeePerGas ? BigInt(latest.baseFeePerGas) : 0n;
    const maxPriorityFeePerGas = BigInt(priority);
    return { maxPriorityFeePerGas, maxFeePerGas: baseFee * 2n + maxPriorityFeePerGas };
  }

  /**
   * Sends a signed transaction. A node that already has it (same hash) or
   * has mined its nonce answers with an error that is no failure of the
   * broadcast; a node that refuses it for another reason (fees too low for
   * a replacement, hot wallet short of gas) answered, so that is no outage
   * either and does not count towards the breaker.
   */
  async broadcast(rawTx: string): Promise<BroadcastOutcome> {
    return this.policy.execute(async () => {
      try {
        await this.provider.send('eth_sendRawTransaction', [rawTx]);
        return { kind: 'sent' } as const;
      } catch (error) {
        const answered = nodeAnswer(error);
        if (answered === undefined) throw error;
        const message = answered.toLowerCase();
        if (message.includes('already known') || message.includes('already imported')) return { kind: 'alreadyKnown' } as const;
        if (message.includes('nonce too low') || message.includes('nonce has already been used')) return { kind: 'nonceUsed' } as const;
        return { kind: 'refused', reason: answered.slice(0, 200) } as const;
      }
    });
  }

  destroy(): void {
    this.provider.destroy();
  }
}

export type BroadcastOutcome =
  | { readonly kind: 'sent' }
  | { readonly kind: 'alreadyKnown' }
  | { readonly kind: 'nonceUsed' }
  | { readonly kind: 'refused'; readonly reason: string };

/** The JSON-RPC error message when the node answered with an error object, undefined for a transport failure. */
function nodeAnswer(error: unknown): string | undefined {
  const rpc = (error as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (rpc && typeof rpc.code === 'number' && typeof rpc.message === 'string') return rpc.message;
  const info = (error as { info?: { error?: { message?: unknown } } } | null)?.info?.error;
  if (info && typeof info.message === 'string') return info.message;
  return undefined;
}
