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
 * transfers signed with the seller's deposit key (gas topped up from the
 * hot wallet when the address is short), per EVM asset with an
 * endpoint in KAIF_WALLET_RPC_URLS, each behind `chain:<asset>`'s policy.
 * Published on the wallet module's API (`nfts`); built on demand.
 */
export type CustodialNfts = ReturnType<typeof custodialNfts>;

export function custodialNfts(ctx: ModuleContext, wallet: Pick<WalletApi, 'assets'>) {
  const db = ctx.db.kysely<ChainTables>();
  let ready: Promise<{ addresses: DepositAddresses; custody: Map<string, { nfts: EvmNftCustody; confirmations: number }>; hotWallet: string }> | undefined;
  const setUp = () => {
    ready ??= (async () => {
      const keys = await ChainKeys.load(db, ctx.secrets, 'evm');
      const addresses = new DepositAddresses(db, new Map([['evm', keys]]), async (_family, familyKeys, index) => familyKeys.evmDepositAddress(index));
      const custody = new Map<string, { nfts: EvmNftCustody; confirmations: number }>();
      for (const setting of chainSettingsOf(ctx.config, wallet.assets()).values()) {
        if (setting.asset.chain.kind !== 'evm' || !setting.endpoint) continue;
        const chain = new EvmChain(setting.asset.code, setting.asset.chain.chainId, setting.endpoint, ctx.policyFor(`chain:${setting.asset.code.toLowerCase()}`));
        custody.set(setting.asset.code, { nfts: new EvmNftCustody(chain, keys), confirmations: setting.confirmations });
      }
      return { addresses, custody, hotWallet: keys.evmHotWalletAddress() };
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
      return (await on(chain)).nfts.ownerOf(contract, tokenId);
    },
    async tokenUri(chain: string, contract: string, tokenId: bigint) {
      return (await on(chain)).nfts.tokenUri(contract, tokenId);
    },
    async collection(chain: string, contract: string) {
      return (await on(chain)).nfts.collection(contract);
    },
    /**
     * In the caller's transaction: the seller's address (listing the token
     * made it), an advisory lock per address (two transfers from one address
     * sign in turn), the transfer; and when the address holds less than the
     * transfer's most gas, a top-up of the difference from the hot wallet at
     * the next nonce of its counter (`wallet.hot_wallet_nonces`, row-locked,
     * shared with withdrawals), reserved only if the caller commits.
     */
    async signTransfer(input: { chain: string; sellerId: string; contract: string; tokenId: bigint; to: string }, trx: Transaction<never>) {
      const { nfts } = await on(input.chain);
      const own = trx as unknown as Transaction<ChainTables>;
      const row = await own
        .selectFrom('wallet.deposit_addresses')
        .select(['address', 'derivation_index'])
        .where('family', '=', 'evm')
        .where('user_id', '=', input.sellerId)
        .executeTakeFirst();
      if (!row) throw new Error('the seller has no custodial EVM address');
      await sql`select pg_advisory_xact_lock(hashtext(${`wallet.nft:${row.address}`}))`.execute(own);
      const transfer = await nfts.signTransfer({ derivationIndex: row.derivation_index, contract: input.contract, to: input.to, tokenId: input.tokenId });
      const held = await nfts.balance(row.address);
      if (held >= transfer.maxGasCost) return { raw: transfer.raw, hash: transfer.hash };
      const { hotWallet } = await setUp();
      await own
        .insertInto('wallet.hot_wallet_nonces')
        .values({ asset: input.chain, address: hotWallet, next_nonce: (await nfts.hotWalletNonce()).toString() })
        .onConflict((conflict) => conflict.column('asset').doNothing())
        .execute();
      const counter = await own.selectFrom('wallet.hot_wallet_nonces').select('next_nonce').where('asset', '=', input.chain).forUpdate().executeTakeFirstOrThrow();
      const nonce = BigInt(counter.next_nonce);
      const gasTopUp = await nfts.signGasTopUp({ to: row.address, amount: transfer.maxGasCost - held, nonce });
      await own.updateTable('wallet.hot_wallet_nonces').set({ next_nonce: (nonce + 1n).toString() }).where('asset', '=', input.chain).execute();
      await own
        .insertInto('wallet.gas_top_ups')
        .values({ asset: input.chain, tx_hash: gasTopUp.hash.toLowerCase(), to_address: row.address, amount: (transfer.maxGasCost - held).toString() })
        .execute();
      return { raw: transfer.raw, hash: transfer.hash, gasTopUp };
    },
    async broadcast(chain: string, raw: string): Promise<void> {
      await (await on(chain)).nfts.broadcast(raw);
    },
    async progress(chain: string, raw: string) {
      const { nfts, confirmations } = await on(chain);
      return nfts.progress(raw, confirmations);
    },
  };
}
