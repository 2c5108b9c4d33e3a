import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './feed-cursor.js';

describe('feed cursor', () => {
  it('round-trips a position through an opaque base64url string', () => {
    const cursor = { pts: 42, channels: { 'c9a5e4a2-0000-4000-8000-000000000001': 7 } };
    const text = encodeCursor(cursor);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text)).toEqual(cursor);
  });

  it.each([
    ['garbage', 'no cursor at all'],
    [Buffer.from('[]').toString('base64url'), 'not an object'],
    [Buffer.from('{"v":3,"p":1,"c":{}}').toString('base64url'), 'an unknown version'],
    [Buffer.from('{"v":1,"p":1,"c":{}}').toString('base64url'), 'a version 1 cursor, which does not name its groups'],
    [Buffer.from('{"v":2,"p":-1,"c":{}}').toString('base64url'), 'a negative position'],
    [Buffer.from('{"v":2,"p":1,"c":{"x":1.5}}').toString('base64url'), 'a fractional channel seq'],
  ])('rejects %s (%s) with CURSOR_INVALID', (text) => {
    expect(() => decodeCursor(text)).toThrow(expect.objectContaining({ code: 'CURSOR_INVALID' }));
  });
});
