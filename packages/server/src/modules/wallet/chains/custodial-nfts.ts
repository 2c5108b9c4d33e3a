import { getAddress } from 'ethers';
import { type Transaction, sql } from 'kysely';
import { KaifError } from '../../../platform/http/kaif-error.js';
import type { ModuleContext } from '../../module.js';
import type { WalletApi } from '../api.js';
import { ChainKeys } from './chain-keys.js';
import { chainSettingsOf } from './chain-settings.js';
import type { ChainTables } from './chain-tables.js';
import { DepositAddresses } from './deposit-addresses.js';
import { EvmChain } from './evm-chain.js';
import { EvmNftCustody } from './evm-nft.js';

/**
 * ERC-721 custody for other modules (the market's NFT orders): users'
 * custodial EVM addresses (their deposit addresses), ownership reads and
 * transfers signed with the seller's deposit key, per EVM asset with an
 * endpoint in KAIF_WALLET_RPC_URLS, each behind `chain:<asset>`'s policy.
 * Published on the wallet module's API (`nfts`); built on demand.
 */
export type CustodialNfts = ReturnType<typeof custodialNfts>;

export function custodialNfts(ctx: ModuleContext, wallet: Pick<WalletApi, 'assets'>) {
  const db = ctx.db.kysely<ChainTables>();
  let ready: Promise<{ addresses: DepositAddresses; custody: Map<string, EvmNftCustody> }> | undefined;
  const setUp = () => {
    ready ??= (async () => {
      const keys = await ChainKeys.load(db, ctx.secrets, 'evm');
      const addresses = new DepositAddresses(db, new Map([['evm', keys]]), async (_family, familyKeys, index) => familyKeys.evmDepositAddress(index));
      const custody = new Map<string, EvmNftCustody>();
      for (const setting of chainSettingsOf(ctx.config, wallet.assets()).values()) {
        if (setting.asset.chain.kind !== 'evm' || !setting.endpoint) continue;
        const chain = new EvmChain(setting.asset.code, setting.asset.chain.chainId, setting.endpoint, ctx.policyFor(`chain:${setting.asset.code.toLowerCase()}`));
        custody.set(setting.asset.code, new EvmNftCustody(chain, keys));
      }
      return { addresses, custody };
    })();
    return ready;
  };
  const on = async (chain: string) => {
    const found = (await setUp()).custody.get(chain);
    if (!found) throw new KaifError('CHAIN_NOT_CONFIGURED');
    return found;
  };
  return {
    async addressOf(userId: string): Promise<string> {
      return getAddress(await (await setUp()).addresses.addressOf('evm', userId));
    },
    async ownerOf(chain: string, contract: string, tokenId: bigint) {
      return (await on(chain)).ownerOf(contract, tokenId);
    },
    async tokenUri(chain: string, contract: string, tokenId: bigint) {
      return (await on(chain)).tokenUri(contract, tokenId);
    },
    async collection(chain: string, contract: string) {
      return (await on(chain)).collection(contract);
    },
    async signTransfer(input: { chain: string; sellerId: string; contract: string; tokenId: bigint; to: string }, trx?: Transaction<never>) {
      const custody = await on(input.chain);
      // The seller's address exists (listing the token made it); read in the caller's transaction when there is one.
      const own = (trx ?? db) as unknown as typeof db;
      const row = await own
        .selectFrom('wallet.deposit_addresses')
        .select(['address', 'derivation_index'])
        .where('family', '=', 'evm')
        .where('user_id', '=', input.sellerId)
        .executeTakeFirst();
      if (!row) throw new Error('the seller has no custodial EVM address');
      // Transfers from one address take turns for the nonce (within the caller's transaction).
      if (trx) await sql`select pg_advisory_xact_lock(hashtext(${`wallet.nft:${row.address}`}))`.execute(trx);
      const index = row.derivation_index;
      return custody.signTransfer({ derivationIndex: index, contract: input.contract, to: input.to, tokenId: input.tokenId });
    },
    async broadcast(chain: string, raw: string): Promise<void> {
      await (await on(chain)).broadcast(raw);
    },
    async outcome(chain: string, hash: string) {
      return (await (await on(chain)).outcome(hash))?.state;
    },
  };
}
