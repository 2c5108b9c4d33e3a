import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ConfigError } from '../../platform/config/config.js';

/** How an asset moves on chain: an EVM chain's native coin, or TON. */
export type AssetChain = { readonly kind: 'evm'; readonly chainId: number } | { readonly kind: 'ton' };

/** One asset users can hold: amounts are whole numbers of its smallest unit (wei, nanoton). */
export interface AssetInfo {
  /** The code on the wire and in the ledger: `ETH`, `BNB`, `TON`, … */
  readonly code: string;
  readonly name: string;
  /** Digits of the smallest unit: 18 for wei, 9 for nanoton. */
  readonly decimals: number;
  readonly chain: AssetChain;
}

/**
 * Assets the code knows without configuration. BNB is the native coin of
 * BNB Smart Chain (BSC, chain id 56), served by the same EVM code as ETH;
 * any other EVM chain is one entry of KAIF_WALLET_EVM_ASSETS.
 */
export const BUILT_IN_ASSETS: readonly AssetInfo[] = [
  { code: 'ETH', name: 'Ether', decimals: 18, chain: { kind: 'evm', chainId: 1 } },
  { code: 'BNB', name: 'BNB (BSC)', decimals: 18, chain: { kind: 'evm', chainId: 56 } },
  { code: 'TON', name: 'Toncoin', decimals: 9, chain: { kind: 'ton' } },
];

const EvmAssetEntry = Type.Object(
  {
    asset: Type.String({ pattern: '^[A-Z][A-Z0-9]{1,11}$' }),
    chainId: Type.Integer({ minimum: 1 }),
    decimals: Type.Optional(Type.Integer({ minimum: 0, maximum: 36 })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);
type EvmAssetEntry = Static<typeof EvmAssetEntry>;

/** The enabled assets, by code, in the order KAIF_WALLET_ASSETS lists them. */
export class AssetRegistry {
  private readonly byCode: ReadonlyMap<string, AssetInfo>;

  constructor(readonly enabled: readonly AssetInfo[]) {
    this.byCode = new Map(enabled.map((asset) => [asset.code, asset]));
  }

  get(code: string): AssetInfo | undefined {
    return this.byCode.get(code);
  }

  has(code: string): boolean {
    return this.byCode.has(code);
  }

  codes(): string[] {
    return this.enabled.map((asset) => asset.code);
  }

  /**
   * Reads KAIF_WALLET_ASSETS and KAIF_WALLET_EVM_ASSETS; a bad value stops
   * the start with one line naming the variable.
   */
  static fromConfig(assets: string, evmAssets: string | undefined): AssetRegistry {
    const known = new Map(BUILT_IN_ASSETS.map((asset) => [asset.code, asset]));
    for (const entry of parseEvmAssets(evmAssets)) {
      const base = known.get(entry.asset);
      known.set(entry.asset, {
        code: entry.asset,
        name: entry.name ?? base?.name ?? entry.asset,
        decimals: entry.decimals ?? base?.decimals ?? 18,
        chain: { kind: 'evm', chainId: entry.chainId },
      });
    }
    const codes = [...new Set(assets.split(',').map((code) => code.trim()))];
    const unknown = codes.filter((code) => !known.has(code));
    if (unknown.length > 0) {
      throw new ConfigError([
        `CONFIG ERROR: KAIF_WALLET_ASSETS names unknown assets ${unknown.join(', ')} (known: ${[...known.keys()].join(', ')}; add EVM chains with KAIF_WALLET_EVM_ASSETS)`,
      ]);
    }
    return new AssetRegistry(codes.map((code) => known.get(code) as AssetInfo));
  }
}

function parseEvmAssets(value: string | undefined): EvmAssetEntry[] {
  if (value === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError(['CONFIG ERROR: KAIF_WALLET_EVM_ASSETS must be a JSON array of {asset, chainId, decimals?, name?}']);
  }
  const schema = Type.Array(EvmAssetEntry);
  if (!Value.Check(schema, parsed)) {
    const first = [...Value.Errors(schema, parsed)][0];
    throw new ConfigError([`CONFIG ERROR: KAIF_WALLET_EVM_ASSETS${first?.path ?? ''} ${first?.message.toLowerCase() ?? 'is not valid'}`]);
  }
  const entries = parsed as EvmAssetEntry[];
  if (entries.some((entry) => entry.asset === 'TON')) throw new ConfigError(['CONFIG ERROR: KAIF_WALLET_EVM_ASSETS cannot redefine TON, which is not an EVM asset']);
  return entries;
}

/** Parses a wire amount: a decimal string of a whole, positive number of smallest units. */
export function parsePositiveAmount(value: string): bigint | undefined {
  if (!/^[0-9]{1,78}$/.test(value)) return undefined;
  const amount = BigInt(value);
  return amount > 0n ? amount : undefined;
}
