/**
 * The decimals of the assets the server names (ETH 18, TON 9 …), learned
 * from GET /api/v1/wallet; 18 until then, the EVM default.
 */
const known = new Map<string, number>([
  ['ETH', 18],
  ['BNB', 18],
  ['TON', 9],
]);

export function rememberDecimals(assets: readonly { readonly asset: string; readonly decimals: number }[]): void {
  for (const asset of assets) known.set(asset.asset, asset.decimals);
}

export function decimalsOf(asset: string): number {
  return known.get(asset) ?? 18;
}
