import { randomBytes } from 'node:crypto';
import { deriveEd25519Path, keyPairFromSeed } from '@ton/crypto';
import { WalletContractV4 } from '@ton/ton';
import type { ChainKeys } from './chain-keys.js';

/** SLIP-10 ed25519 path of the TON hot wallet (SLIP-44 coin type 607), from the `ton` family's BIP-39 seed. */
const TON_HOT_WALLET_PATH = [44, 607, 0];

/**
 * The platform's TON hot wallet (wallet v4): every TON deposit arrives here
 * with the user's memo as its comment, and withdrawals are sent from it.
 * The key pair is derived for each use and dropped after.
 */
export async function tonHotWallet(keys: ChainKeys): Promise<WalletContractV4> {
  const { publicKey } = await tonKeyPair(keys);
  return WalletContractV4.create({ workchain: 0, publicKey });
}

export async function tonKeyPair(keys: ChainKeys) {
  return keyPairFromSeed(await deriveEd25519Path(keys.seedBytes(), TON_HOT_WALLET_PATH));
}

/**
 * A user's deposit memo: random, 10 characters of an alphabet without
 * look-alikes, so a mistyped memo is almost never someone else's.
 */
export function newTonMemo(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  return [...randomBytes(10)].map((byte) => alphabet[byte % alphabet.length]).join('');
}
