import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { Instant, isDateTime } from './instant.js';

describe('instant', () => {
  it('takes what toISOString writes and RFC 3339 offsets, and refuses a time without a zone or a date that is not one', () => {
    expect([new Date().toISOString(), '2026-11-30T00:00:00Z', '2026-11-30T01:00:00.5+01:00'].map(isDateTime)).toEqual([true, true, true]);
    expect(['2026-11-30T00:00:00', '2026-11-30', '2026-13-45T00:00:00Z', 'yesterday'].map(isDateTime)).toEqual([false, false, false, false]);
  });

  it('is a format TypeBox knows, so server frames check outside HTTP too', () => {
    expect(Value.Check(Instant, '2026-11-30T00:00:00.000Z')).toBe(true);
  });
});
