import type { Config } from '../../../platform/config/config.js';
import type { AssetInfo } from '../assets.js';

/** How one enabled asset moves on chain, from configuration. */
export interface ChainSettings {
  readonly asset: AssetInfo;
  /** Unset: no deposits or withdrawals for this asset (CHAIN_NOT_CONFIGURED). */
  readonly endpoint: string | undefined;
  readonly confirmations: number;
  /** Smallest units one user may withdraw in 24 hours; undefined = no limit. */
  readonly dailyLimit: bigint | undefined;
}

function pairs(value: string | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of value ? value.split(',') : []) {
    const at = entry.indexOf('=');
    if (at > 0) map.set(entry.slice(0, at), entry.slice(at + 1));
  }
  return map;
}

/** Reads KAIF_WALLET_RPC_URLS, KAIF_WALLET_CONFIRMATIONS and KAIF_WALLET_WITHDRAWAL_DAILY_LIMITS (validated by the config schema). */
export function chainSettingsOf(config: Config, assets: readonly AssetInfo[]): Map<string, ChainSettings> {
  const endpoints = pairs(config.KAIF_WALLET_RPC_URLS);
  const [fallback, ...overrides] = config.KAIF_WALLET_CONFIRMATIONS.split(',');
  const confirmations = pairs(overrides.join(','));
  const limits = pairs(config.KAIF_WALLET_WITHDRAWAL_DAILY_LIMITS);
  return new Map(
    assets.map((asset) => [
      asset.code,
      {
        asset,
        endpoint: endpoints.get(asset.code),
        confirmations: Math.max(1, Number(confirmations.get(asset.code) ?? fallback)),
        dailyLimit: limits.has(asset.code) ? BigInt(limits.get(asset.code)!) : undefined,
      },
    ]),
  );
}
