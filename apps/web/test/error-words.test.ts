import { KaifApiError } from '@kaif/client';
import { describe, expect, it } from 'vitest';
import { toShownError } from '../src/state/errors.js';

describe('errors in words', () => {
  it('keeps the wait of a rate limit for the countdown', () => {
    expect(toShownError(new KaifApiError('FLOOD_WAIT', 'Too many requests', 429, { retryAfter: 42 }))).toEqual({ code: 'FLOOD_WAIT', message: 'Too many attempts.', retryAfter: 42 });
  });

  it('says which field is wrong without echoing the validator', () => {
    expect(toShownError(new KaifApiError('VALIDATION_FAILED', 'body/password must NOT have fewer than 10 characters', 400, { field: 'password' })).message).toMatch(/password/);
  });

  it('describes a network failure and never shows raw JSON', () => {
    expect(toShownError(new KaifApiError('NETWORK_ERROR', 'Failed to fetch', 0)).message).toBe('Cannot reach the server. Check your connection.');
    expect(toShownError(new KaifApiError('INTERNAL', '{"error":1}', 500)).message).toBe('Something went wrong on our side. Try again.');
    expect(toShownError(new Error('boom')).message).toBe('Something went wrong. Try again.');
  });
});
