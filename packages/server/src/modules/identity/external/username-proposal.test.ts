import { USERNAME_PATTERN } from '@kaif/protocol';
import { describe, expect, it } from 'vitest';
import { usernameBase, usernameCandidates } from './username-proposal.js';

const valid = new RegExp(USERNAME_PATTERN);

describe('username proposal', () => {
  it('takes the provider handle, then the email local part, then the name', () => {
    expect(usernameBase({ handle: 'octo-cat' })).toBe('octo_cat');
    expect(usernameBase({ email: 'ann.lee@example.com' })).toBe('ann_lee');
    expect(usernameBase({ name: 'Zoë Ivanova' })).toBe('Zoe_Ivanova');
  });

  it('makes a valid username from anything, and numbered variants that stay valid', () => {
    for (const source of ['42', 'Иван', '__', 'x', 'a'.repeat(80), '9lives']) {
      const base = usernameBase({ handle: source });
      for (const candidate of usernameCandidates(base, 4)) expect(candidate).toMatch(valid);
    }
  });
});
