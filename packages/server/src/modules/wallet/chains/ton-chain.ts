import { Address, type Transaction, beginCell, storeMessage } from '@ton/core';
import { TonClient } from '@ton/ton';
import type { DependencyPolicy } from '../../../platform/resilience/dependency-policy.js';

/** A transaction on a TON account, as the watcher and the withdrawal worker read it. */
export interface TonTransaction {
  readonly lt: bigint;
  /** Hex hash of the transaction. */
  readonly hash: string;
  readonly inbound:
    | {
        readonly kind: 'internal';
        readonly source: string;
        readonly value: bigint;
        readonly comment: string | null;
        /** This message is itself a bounce of one we sent. */
        readonly bounced: boolean;
        /** It asked to bounce on failure: if the transaction aborted, its value went back. */
        readonly bounce: boolean;
      }
    | { readonly kind: 'external'; readonly messageHash: string }
    | null;
  /**
   * The compute or action phase failed (or was skipped: an account without
   * code). For an inbound transfer that did not ask to bounce, its value
   * stays on the account anyway.
   */
  readonly aborted: boolean;
  readonly totalFees: bigint;
}

/**
 * What the wallet needs of a TON network: the toncenter HTTP API in
 * production (TonCenterNetwork below), the in-process @ton/sandbox in tests.
 */
export interface TonNetwork {
  /** The account's most recent transactions, newest first. */
  transactions(address: Address, limit: number): Promise<TonTransaction[]>;
  /** The wallet's seqno; 0 while it is not deployed. */
  seqno(address: Address): Promise<number>;
  /** Sends a serialized external message (a bag of cells). */
  sendMessage(boc: Buffer): Promise<void>;
  balance(address: Address): Promise<bigint>;
}

/** The hash an external message has in a transaction's inbound message, to find the transaction a withdrawal made. */
export function messageHash(message: Parameters<typeof storeMessage>[0]): string {
  return beginCell().store(storeMessage(message)).endCell().hash().toString('hex');
}

/** Reads what the wallet needs from a @ton/core transaction (both toncenter and the sandbox return those). */
export function tonTransactionOf(tx: Transaction): TonTransaction {
  const message = tx.inMessage;
  let inbound: TonTransaction['inbound'] = null;
  if (message?.info.type === 'internal') {
    let comment: string | null = null;
    try {
      const body = message.body.beginParse();
      if (body.remainingBits >= 32 && body.loadUint(32) === 0) comment = body.loadStringTail();
    } catch {
      comment = null;
    }
    inbound = { kind: 'internal', source: message.info.src.toRawString(), value: message.info.value.coins, comment, bounced: message.info.bounced, bounce: message.info.bounce };
  } else if (message?.info.type === 'external-in') {
    inbound = { kind: 'external', messageHash: messageHash(message) };
  }
  const description = tx.description;
  const aborted = description.type === 'generic' ? description.aborted : false;
  return { lt: tx.lt, hash: tx.hash().toString('hex'), inbound, aborted, totalFees: tx.totalFees.coins };
}

/**
 * TON through the toncenter v2 HTTP API (KAIF_WALLET_RPC_URLS `TON=…`),
 * every call behind the chain's policy; reads are retried, sends are not
 * (the worker sends the same message again on its next round).
 * Not exercised by the offline tests, which use the sandbox.
 */
export class TonCenterNetwork implements TonNetwork {
  private readonly client: TonClient;

  constructor(
    endpoint: string,
    private readonly policy: DependencyPolicy,
  ) {
    this.client = new TonClient({ endpoint });
  }

  async transactions(address: Address, limit: number): Promise<TonTransaction[]> {
    const txs = await this.policy.execute(() => this.client.getTransactions(address, { limit }), { idempotent: true });
    return txs.map(tonTransactionOf);
  }

  async seqno(address: Address): Promise<number> {
    return this.policy.execute(
      async () => {
        if (!(await this.client.isContractDeployed(address))) return 0;
        const result = await this.client.runMethod(address, 'seqno');
        return result.stack.readNumber();
      },
      { idempotent: true },
    );
  }

  async sendMessage(boc: Buffer): Promise<void> {
    await this.policy.execute(() => this.client.sendFile(boc));
  }

  async balance(address: Address): Promise<bigint> {
    return this.policy.execute(() => this.client.getBalance(address), { idempotent: true });
  }
}

/** Parses a user-given TON address (user-friendly or raw); undefined when it is none. */
export function parseTonAddress(text: string): { address: Address; bounceable: boolean; display: string } | undefined {
  try {
    if (Address.isFriendly(text)) {
      const friendly = Address.parseFriendly(text);
      return { address: friendly.address, bounceable: friendly.isBounceable, display: friendly.address.toString({ bounceable: friendly.isBounceable, testOnly: friendly.isTestOnly }) };
    }
    if (Address.isRaw(text)) {
      const address = Address.parseRaw(text);
      return { address, bounceable: false, display: address.toString({ bounceable: false }) };
    }
  } catch {
    return undefined;
  }
  return undefined;
}
