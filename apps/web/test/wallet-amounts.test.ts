import { describe, expect, it } from 'vitest';
import { formatAmount, parseAmount } from '../src/state/wallet-amounts.js';

describe('wallet amounts in whole coins', () => {
  it('formats smallest units exactly, without trailing zeros', () => {
    expect(formatAmount('500000000000000000', 18)).toBe('0.5');
    expect(formatAmount('1000000000000000000', 18)).toBe('1');
    expect(formatAmount('1', 18)).toBe('0.000000000000000001');
    expect(formatAmount('0', 9)).toBe('0');
    expect(formatAmount('1234567890123', 9)).toBe('1234.567890123');
    expect(formatAmount('-7', 0)).toBe('−7');
    // Past what a float can hold: every digit kept.
    expect(formatAmount('123456789012345678901234567890', 18)).toBe('123456789012.34567890123456789');
  });

  it('parses what people type into smallest units, refusing what is not a positive amount', () => {
    expect(parseAmount('0.5', 18)).toBe('500000000000000000');
    expect(parseAmount('0,1', 18)).toBe('100000000000000000');
    expect(parseAmount('.25', 9)).toBe('250000000');
    expect(parseAmount('3', 9)).toBe('3000000000');
    expect(parseAmount('0.0000000001', 9)).toBeUndefined();
    expect(parseAmount('0', 18)).toBeUndefined();
    expect(parseAmount('', 18)).toBeUndefined();
    expect(parseAmount('1e3', 18)).toBeUndefined();
    expect(parseAmount('-1', 18)).toBeUndefined();
  });
});
