import { randomUUID } from 'node:crypto';
import type { WalletApi } from '../../packages/server/src/modules/wallet/api.js';

/** 1 ETH in wei. */
export const ETH = 10n ** 18n;

/**
 * Funds a user as a confirmed deposit would, through the ledger seam chain
 * code uses (WalletApi.post), never over HTTP: chain_clearing → user.
 */
export async function depositFor(wallet: WalletApi, userId: string, asset: string, amount: bigint, key = `test-deposit:${randomUUID()}`) {
  return wallet.post({
    idempotencyKey: key,
    kind: 'deposit',
    actor: { kind: 'system', id: 'test-faucet' },
    metadata: { source: 'test' },
    postings: [
      { account: { platform: 'chain_clearing' }, asset, amount: -amount },
      { account: { user: userId }, asset, amount },
    ],
  });
}
