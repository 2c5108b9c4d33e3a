import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../platform/config/config.js';
import { AssetRegistry, parsePositiveAmount } from './assets.js';

describe('the asset registry from configuration', () => {
  it('enables ETH and TON by default, BNB on BSC (chain 56) on request, in the order given', () => {
    const registry = AssetRegistry.fromConfig('TON,ETH,BNB', undefined);
    expect(registry.codes()).toEqual(['TON', 'ETH', 'BNB']);
    expect(registry.get('ETH')).toMatchObject({ decimals: 18, chain: { kind: 'evm', chainId: 1 } });
    expect(registry.get('BNB')).toMatchObject({ decimals: 18, chain: { kind: 'evm', chainId: 56 } });
    expect(registry.get('TON')).toMatchObject({ decimals: 9, chain: { kind: 'ton' } });
  });

  it('adds any EVM chain, or re-points one, from KAIF_WALLET_EVM_ASSETS', () => {
    const registry = AssetRegistry.fromConfig('ETH,POL', JSON.stringify([{ asset: 'ETH', chainId: 31337 }, { asset: 'POL', chainId: 137, name: 'Polygon' }]));
    expect(registry.get('ETH')).toMatchObject({ decimals: 18, chain: { kind: 'evm', chainId: 31337 } });
    expect(registry.get('POL')).toMatchObject({ name: 'Polygon', decimals: 18, chain: { kind: 'evm', chainId: 137 } });
  });

  it('stops the start with one line naming the variable for an unknown asset or a bad entry', () => {
    expect(() => AssetRegistry.fromConfig('ETH,DOGE', undefined)).toThrow(ConfigError);
    expect(() => AssetRegistry.fromConfig('ETH,DOGE', undefined)).toThrow(/KAIF_WALLET_ASSETS names unknown assets DOGE/);
    expect(() => AssetRegistry.fromConfig('ETH', 'not json')).toThrow(/KAIF_WALLET_EVM_ASSETS must be a JSON array/);
    expect(() => AssetRegistry.fromConfig('ETH', '[{"asset":"ETH"}]')).toThrow(/KAIF_WALLET_EVM_ASSETS/);
    expect(() => AssetRegistry.fromConfig('ETH', '[{"asset":"TON","chainId":1}]')).toThrow(/cannot redefine TON/);
  });

  it('reads wire amounts as whole positive smallest units only', () => {
    expect(parsePositiveAmount('1')).toBe(1n);
    expect(parsePositiveAmount('115792089237316195423570985008687907853269984665640564039457584007913129639935')).toBe(2n ** 256n - 1n);
    for (const bad of ['0', '', '-1', '0.5', '1e18', ' 1']) expect(parsePositiveAmount(bad)).toBeUndefined();
  });
});
