import { describe, expect, it } from 'vitest';
import { snippetParts } from '../src/ui/chats/snippet-parts.js';

describe('search snippet parts', () => {
  it('splits a snippet into found and other runs at the given offsets', () => {
    expect(snippetParts('the treasure map', [{ start: 4, end: 12 }])).toEqual([
      { text: 'the ', found: false },
      { text: 'treasure', found: true },
      { text: ' map', found: false },
    ]);
  });

  it('ignores offsets that overlap or fall outside the snippet', () => {
    expect(snippetParts('abc', [{ start: 0, end: 2 }, { start: 1, end: 3 }, { start: 2, end: 9 }])).toEqual([
      { text: 'ab', found: true },
      { text: 'c', found: false },
    ]);
  });
});
