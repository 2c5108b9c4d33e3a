import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../platform/config/config.js';
import { parseProviderSettings } from './provider-settings.js';

const errorOf = (raw: string) => {
  try {
    parseProviderSettings(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.lines.join('\n');
    throw error;
  }
  return '';
};

describe('KAIF_OAUTH_PROVIDERS', () => {
  it('is none when unset', () => {
    expect(parseProviderSettings(undefined)).toEqual([]);
  });

  it('reads OpenID Connect, GitHub and VK ID providers', () => {
    const settings = parseProviderSettings(
      JSON.stringify([
        { id: 'google', name: 'Google', kind: 'oidc', issuer: 'https://accounts.google.com', clientId: 'c', clientSecret: 's' },
        { id: 'github', name: 'GitHub', kind: 'github', clientId: 'c', clientSecret: 's' },
        { id: 'vk', name: 'VK ID', kind: 'vk', clientId: 'c' },
      ]),
    );
    expect(settings.map((entry) => entry.kind)).toEqual(['oidc', 'github', 'vk']);
  });

  it('names the bad entry and field without echoing any value', () => {
    const secret = 'very-secret-value';
    const missingIssuer = errorOf(JSON.stringify([{ id: 'x', name: 'X', kind: 'oidc', clientId: 'c', clientSecret: secret }]));
    expect(missingIssuer).toMatch(/^CONFIG ERROR: KAIF_OAUTH_PROVIDERS/);
    expect(missingIssuer).not.toContain(secret);
    expect(errorOf(`[{"clientSecret": "${secret}"`)).toBe('CONFIG ERROR: KAIF_OAUTH_PROVIDERS must be a JSON array of providers');
    const twice = JSON.stringify([1, 2].map(() => ({ id: 'gh', name: 'GH', kind: 'github', clientId: 'c', clientSecret: secret })));
    expect(errorOf(twice)).toBe('CONFIG ERROR: KAIF_OAUTH_PROVIDERS lists the id "gh" twice');
    const plain = JSON.stringify([{ id: 'k', name: 'K', kind: 'oidc', issuer: 'http://id.example.com', clientId: 'c', clientSecret: secret }]);
    expect(errorOf(plain)).toBe('CONFIG ERROR: KAIF_OAUTH_PROVIDERS/0/issuer must use https (plain http only on loopback)');
  });
});
