import { randomBytes } from 'node:crypto';
import { HDNodeWallet, Mnemonic } from 'ethers';
import { sql } from 'kysely';
import type { SealedSample, SecretBox } from '../../../platform/crypto/secret-box.js';
import type { ChainDb } from './chain-tables.js';

export type ChainFamily = 'evm' | 'ton';

/** Fixed: nodes starting together take turns, so exactly one seed is made per family. */
const SEED_LOCK_ID = 7_311_260;
const associatedData = (family: ChainFamily) => `wallet.chain_seed.${family}`;

/**
 * BIP-44 paths (SLIP-44 coin type 60 for every EVM chain, 607 for TON).
 * Account 0 holds users' deposit addresses at change 0, index = the user's
 * derivation index; account 1 index 0 is the hot wallet withdrawals are
 * signed from.
 */
export const EVM_DEPOSIT_PATH = (index: number) => `m/44'/60'/0'/0/${index}`;
export const EVM_HOT_WALLET_PATH = "m/44'/60'/1'/0/0";

/**
 * The HD seed of a chain family: generated on the first start and kept in
 * wallet.chain_seeds sealed by the at-rest key (AES-256-GCM, key id in the
 * ciphertext). It is opened only in memory, per use, and never logged,
 * returned or thrown; callers get addresses or a signer, never the phrase.
 */
export class ChainKeys {
  private constructor(
    private readonly family: ChainFamily,
    private readonly sealed: string,
    private readonly secrets: SecretBox,
  ) {}

  static async load(db: ChainDb, secrets: SecretBox, family: ChainFamily): Promise<ChainKeys> {
    const sealed = await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${SEED_LOCK_ID})`.execute(trx);
      const existing = await trx.selectFrom('wallet.chain_seeds').select('seed_sealed').where('family', '=', family).executeTakeFirst();
      if (existing) return existing.seed_sealed;
      const phrase = Mnemonic.fromEntropy(randomBytes(32)).phrase;
      const fresh = secrets.seal(phrase, associatedData(family));
      await trx.insertInto('wallet.chain_seeds').values({ family, seed_sealed: fresh }).execute();
      return fresh;
    });
    return new ChainKeys(family, sealed, secrets);
  }

  /** The wallet at a BIP-32 path, decrypted for this call only (for signing). */
  walletAt(path: string): HDNodeWallet {
    const mnemonic = Mnemonic.fromPhrase(this.secrets.open(this.sealed, associatedData(this.family)));
    return HDNodeWallet.fromMnemonic(mnemonic, path);
  }

  /** The raw 32-byte seed of the mnemonic (TON derives its keys from it), decrypted for this call only. */
  seedBytes(): Buffer {
    const mnemonic = Mnemonic.fromPhrase(this.secrets.open(this.sealed, associatedData(this.family)));
    return Buffer.from(mnemonic.computeSeed().slice(2), 'hex');
  }

  /** Deposit address of an EVM derivation index (lower-case 0x). */
  evmDepositAddress(index: number): string {
    return this.walletAt(EVM_DEPOSIT_PATH(index)).address.toLowerCase();
  }

  evmHotWalletAddress(): string {
    return this.walletAt(EVM_HOT_WALLET_PATH).address.toLowerCase();
  }

}

/** Every sealed chain seed, for the module's start-up check that this node's key opens them. */
export async function chainSealedSamples(db: ChainDb): Promise<readonly SealedSample[]> {
  const rows = await db.selectFrom('wallet.chain_seeds').select(['family', 'seed_sealed']).execute();
  return rows.map((row) => ({ sealed: row.seed_sealed, associatedData: associatedData(row.family as ChainFamily) }));
}
