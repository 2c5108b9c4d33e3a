import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { CLIENT_MSG_ID_MAX_CHARS, ClientMsgId, MESSAGE_MAX_CHARS, MessageText } from './limits.js';
import { safeTextProblem } from './text.js';
import { codePointLength } from './text-length.js';

const compiledText = TypeCompiler.Compile(MessageText);

describe('message limits', () => {
  it('count code points, as JSON Schema and HTTP do: 4,096 emoji are a message, 4,097 letters are not', () => {
    const emoji = '🌊'.repeat(MESSAGE_MAX_CHARS);
    const letters = 'a'.repeat(MESSAGE_MAX_CHARS + 1);
    for (const check of [(value: string) => Value.Check(MessageText, value), (value: string) => compiledText.Check(value)]) {
      expect(check(emoji)).toBe(true);
      expect(check('a'.repeat(MESSAGE_MAX_CHARS))).toBe(true);
      expect(check(letters)).toBe(false);
      expect(check(`${emoji}a`)).toBe(false);
      expect(check('')).toBe(false);
    }
  });

  it('say why a string is refused in the words HTTP validation uses', () => {
    expect(safeTextProblem(MessageText, 'a'.repeat(MESSAGE_MAX_CHARS + 1))).toBe(`must NOT have more than ${MESSAGE_MAX_CHARS} characters`);
    expect(safeTextProblem(ClientMsgId, '')).toBe('must NOT have fewer than 1 characters');
    expect(safeTextProblem(ClientMsgId, 'x'.repeat(CLIENT_MSG_ID_MAX_CHARS + 1))).toBe(
      `must NOT have more than ${CLIENT_MSG_ID_MAX_CHARS} characters`,
    );
    expect(safeTextProblem(MessageText, 'a\u0000b')).toBe('must not contain NUL or unpaired surrogate characters');
    expect(safeTextProblem(MessageText, 42)).toBe('must be string');
    expect(safeTextProblem(MessageText, 'fine')).toBeUndefined();
  });

  it('count a surrogate pair as one code point and a lone surrogate as one', () => {
    expect(['', 'abc', '🌊', '🌊🌊x', 'a\ud800', '\udc00\ud800', '\ud800\udc00'].map(codePointLength)).toEqual([0, 3, 1, 3, 2, 2, 1]);
  });

  it('check a pattern as HTTP validation does', () => {
    const digits = { pattern: '^[0-9]+$' };
    expect(safeTextProblem(digits, '042')).toBeUndefined();
    expect(safeTextProblem(digits, '04a')).toBe('must match pattern "^[0-9]+$"');
  });

  it('apply minimum lengths above one in code points too', () => {
    const twoChars = { minLength: 2 };
    expect(safeTextProblem(twoChars, '🌊')).toBe('must NOT have fewer than 2 characters');
    expect(safeTextProblem(twoChars, '🌊🌊')).toBeUndefined();
  });
});
