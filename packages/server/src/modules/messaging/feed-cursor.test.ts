import { describe, expect, it } from 'vitest';
import { applyToBase, decodeCursor, diffFromBase, encodeCursor, encodeRelativeCursor, parseCursor } from './feed-cursor.js';

describe('feed cursor', () => {
  it('round-trips a position through an opaque base64url string', () => {
    const cursor = { pts: 42, channels: { 'c9a5e4a2-0000-4000-8000-000000000001': 7 } };
    const text = encodeCursor(cursor);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text)).toEqual(cursor);
  });

  it('names a position relative to a base by what changed and what was dropped', () => {
    const base = { a: 1, b: 2, c: 3 };
    const channels = { a: 1, b: 5, d: 9 };
    const { changed, dropped } = diffFromBase(channels, base);
    expect(changed).toEqual({ b: 5, d: 9 });
    const parsed = parseCursor(encodeRelativeCursor(12, 4, changed, dropped));
    expect(parsed).toMatchObject({ kind: 'relative', baseId: 12 });
    expect(parsed.kind === 'relative' && applyToBase(parsed, base)).toEqual({ pts: 4, channels });
  });

  it('does not decode a relative cursor without its base', () => {
    expect(() => decodeCursor(encodeRelativeCursor(1, 0, {}, []))).toThrow(expect.objectContaining({ code: 'CURSOR_INVALID' }));
  });

  it.each([
    ['garbage', 'no cursor at all'],
    [Buffer.from('[]').toString('base64url'), 'not an object'],
    [Buffer.from('{"v":4,"p":1,"c":{}}').toString('base64url'), 'an unknown version'],
    [Buffer.from('{"v":1,"p":1,"c":{}}').toString('base64url'), 'a version 1 cursor, which does not name its groups'],
    [Buffer.from('{"v":2,"p":-1,"c":{}}').toString('base64url'), 'a negative position'],
    [Buffer.from('{"v":2,"p":1,"c":{"x":1.5}}').toString('base64url'), 'a fractional channel seq'],
    [Buffer.from('{"v":3,"p":1,"c":{}}').toString('base64url'), 'a relative cursor without a base'],
    [Buffer.from('{"v":3,"b":1,"p":1,"c":{},"x":[2]}').toString('base64url'), 'a dropped channel that is not an id'],
  ])('rejects %s (%s) with CURSOR_INVALID', (text) => {
    expect(() => parseCursor(text)).toThrow(expect.objectContaining({ code: 'CURSOR_INVALID' }));
  });
});
