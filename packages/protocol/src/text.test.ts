import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { SafeText, isSafeText, normalizeDisplayText } from './text.js';

describe('safe text', () => {
  it('accepts any Unicode text, emoji included, and refuses NUL and lone surrogates', () => {
    expect(['', 'lake', 'Zoë', '🌊 𝄞', 'tab\tnew\nline'].map(isSafeText)).toEqual([true, true, true, true, true]);
    expect(['a\u0000b', 'a\ud800b', '\udc00', '🌊\ud83c', '\ude0a🌊'].map(isSafeText)).toEqual([false, false, false, false, false]);
  });

  it('is the format TypeBox checks SafeText against', () => {
    expect(Value.Check(SafeText({ maxLength: 8 }), 'ok 🌊')).toBe(true);
    expect(Value.Check(SafeText({ maxLength: 8 }), 'no\u0000')).toBe(false);
  });
});

describe('display text', () => {
  it('turns a lookalike built from invisible, bidi or decomposed characters into the name it imitates', () => {
    const lookalikes = ['Zoë\u200b', '\u202eZoë', 'Zoe\u0308', '\u2066Zo\u00adë\u2069', '\ufeffZoë\u2060', ' Zoë\u3164 '];
    expect(lookalikes.map(normalizeDisplayText)).toEqual(lookalikes.map(() => 'Zoë'));
  });

  it('folds every run of whitespace into one space and leaves nothing of a name that shows nothing', () => {
    expect(normalizeDisplayText('Ana\u00a0\u3000 Lake\n')).toBe('Ana Lake');
    expect(normalizeDisplayText('\u200b\u200e\u202e\u2069')).toBe('');
  });
});
