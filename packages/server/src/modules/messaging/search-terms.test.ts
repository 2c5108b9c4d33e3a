import { describe, expect, it } from 'vitest';
import { searchTermsOf } from './search-terms.js';

describe('search terms', () => {
  it('keeps words only, so nothing typed is read as tsquery syntax', () => {
    expect(searchTermsOf("a:* & !b | 'c' <-> d")).toEqual({ complete: ['a', 'b', 'c'], typing: 'd' });
    expect(searchTermsOf('Привет, мир 2026')).toEqual({ complete: ['Привет', 'мир'], typing: '2026' });
  });

  it('has nothing to search for in punctuation alone', () => {
    expect(searchTermsOf('?! …')).toBeUndefined();
  });

  it('takes the first sixteen words', () => {
    const terms = searchTermsOf(Array.from({ length: 40 }, (_, n) => `w${n}`).join(' '));
    expect(terms?.complete).toHaveLength(15);
    expect(terms?.typing).toBe('w15');
  });
});
