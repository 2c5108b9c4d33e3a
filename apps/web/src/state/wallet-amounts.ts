/**
 * Amounts are whole numbers of an asset's smallest unit (wei, nanoton) as
 * decimal strings; people read and type them in whole coins. Both ways go
 * through strings and bigint, never floats, so 0.1 ETH is exactly
 * 100000000000000000 wei.
 */

/** "500000000000000000", 18 → "0.5"; keeps every significant digit, drops trailing zeros. */
export function formatAmount(amount: string, decimals: number): string {
  const negative = amount.startsWith('-');
  const digits = (negative ? amount.slice(1) : amount).replace(/^0+(?=\d)/, '');
  const padded = digits.padStart(decimals + 1, '0');
  const whole = padded.slice(0, padded.length - decimals);
  const fraction = padded.slice(padded.length - decimals).replace(/0+$/, '');
  return `${negative ? '−' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** "0.5", 18 → "500000000000000000"; undefined for anything but a positive number with at most `decimals` decimals. */
export function parseAmount(text: string, decimals: number): string | undefined {
  const match = /^\s*(\d*)(?:[.,](\d*))?\s*$/.exec(text);
  if (!match || (match[1] === '' && (match[2] ?? '') === '')) return undefined;
  const fraction = match[2] ?? '';
  if (fraction.length > decimals) return undefined;
  const units = BigInt(`${match[1] || '0'}${fraction.padEnd(decimals, '0')}`);
  return units > 0n ? units.toString() : undefined;
}
