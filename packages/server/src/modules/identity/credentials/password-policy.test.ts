import { describe, expect, it } from 'vitest';
import type { KaifError } from '../../../platform/http/kaif-error.js';
import { assertAcceptablePassword } from './password-policy.js';

const owner = { username: 'Alice_01', email: 'alice.smith@example.org' };

function rejection(password: string, field?: string): KaifError {
  try {
    assertAcceptablePassword(password, owner, field);
  } catch (error) {
    return error as KaifError;
  }
  throw new Error('accepted');
}

describe('password policy', () => {
  it('accepts a long, uncommon password', () => {
    expect(() => assertAcceptablePassword('violet-harbour-9-kettle', owner)).not.toThrow();
  });

  it('rejects a password shorter than 10 characters, naming the field', () => {
    const error = rejection('short1!');
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.field).toBe('password');
    expect(error.message).toBe('password must be at least 10 characters long');
  });

  it('rejects a common password whatever its case', () => {
    expect(rejection('Password123').message).toMatch(/most common/);
    expect(rejection('QWERTYUIOP').message).toMatch(/most common/);
  });

  it('rejects a password containing the username or the email local part', () => {
    expect(rejection('my-alice_01-pass').message).toMatch(/username/);
    expect(rejection('ALICE.SMITH-2024').message).toMatch(/email/);
  });

  it('names the field it was asked to check', () => {
    expect(rejection('short', 'newPassword').field).toBe('newPassword');
  });
});
