import { type Address, Cell } from '@ton/core';
import { Blockchain } from '@ton/sandbox';
import { type TonNetwork, type TonTransaction, tonTransactionOf } from '../../packages/server/src/modules/wallet/chains/ton-chain.js';

/**
 * The wallet's TonNetwork over an in-process TON chain (@ton/sandbox): the
 * same wallet v4 contract code, seqno checks and fees as the real network,
 * with every message executed at once.
 */
export class SandboxTonNetwork implements TonNetwork {
  private constructor(readonly blockchain: Blockchain) {}

  static async start(): Promise<SandboxTonNetwork> {
    return new SandboxTonNetwork(await Blockchain.create());
  }

  async transactions(address: Address, limit: number): Promise<TonTransaction[]> {
    // The sandbox reverses its own list in place on each call: sort here.
    const txs = [...(await this.blockchain.getTransactions(address))].sort((a, b) => (a.lt > b.lt ? -1 : a.lt < b.lt ? 1 : 0));
    return txs.slice(0, limit).map(tonTransactionOf);
  }

  async seqno(address: Address): Promise<number> {
    const contract = await this.blockchain.getContract(address);
    if (contract.accountState?.type !== 'active') return 0;
    const result = await this.blockchain.runGetMethod(address, 'seqno');
    return result.stackReader.readNumber();
  }

  async sendMessage(boc: Buffer): Promise<void> {
    await this.blockchain.sendMessage(Cell.fromBoc(boc)[0]!);
  }

  async balance(address: Address): Promise<bigint> {
    return (await this.blockchain.getContract(address)).balance;
  }
}
