import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ConfigError } from '../../../platform/config/config.js';
import { isLoopbackHttp } from './provider-fetch.js';

const HttpUrl = Type.String({ pattern: '^https?://' });

const Common = {
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,31}$' }),
  name: Type.String({ minLength: 1, maxLength: 40 }),
  clientId: Type.String({ minLength: 1 }),
  clientSecret: Type.String({ minLength: 1 }),
};

/** An OpenID Connect provider, found by discovery from its issuer (Google, Keycloak, Authentik …). */
const OidcSettings = Type.Object({
  ...Common,
  kind: Type.Literal('oidc'),
  issuer: HttpUrl,
  scope: Type.Optional(Type.String({ pattern: '(^|\\s)openid(\\s|$)' })),
});

/** GitHub (plain OAuth 2, no ID token); the endpoints move for GitHub Enterprise. */
const GithubSettings = Type.Object({
  ...Common,
  kind: Type.Literal('github'),
  authorizationEndpoint: Type.Optional(HttpUrl),
  tokenEndpoint: Type.Optional(HttpUrl),
  apiUrl: Type.Optional(HttpUrl),
});

/**
 * VK ID (id.vk.com, OAuth 2.1 with PKCE). Its code exchange needs no client
 * secret; the endpoints move only for tests.
 */
const VkSettings = Type.Object({
  id: Common.id,
  name: Common.name,
  clientId: Common.clientId,
  clientSecret: Type.Optional(Common.clientSecret),
  kind: Type.Literal('vk'),
  authorizationEndpoint: Type.Optional(HttpUrl),
  tokenEndpoint: Type.Optional(HttpUrl),
  userInfoEndpoint: Type.Optional(HttpUrl),
});

const ProviderSettingsList = Type.Array(Type.Union([OidcSettings, GithubSettings, VkSettings]), { maxItems: 16 });

export type OidcProviderSettings = Static<typeof OidcSettings>;
export type GithubProviderSettings = Static<typeof GithubSettings>;
export type VkProviderSettings = Static<typeof VkSettings>;
export type ProviderSettings = OidcProviderSettings | GithubProviderSettings | VkProviderSettings;

/**
 * Reads KAIF_OAUTH_PROVIDERS. Errors name the entry and field, never a
 * value: the variable holds client secrets.
 */
export function parseProviderSettings(raw: string | undefined): readonly ProviderSettings[] {
  if (raw === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(['CONFIG ERROR: KAIF_OAUTH_PROVIDERS must be a JSON array of providers']);
  }
  const kinds = Array.isArray(parsed) ? parsed.map((entry) => (entry as { kind?: unknown } | null)?.kind) : [];
  const errors = Value.Check(ProviderSettingsList, parsed)
    ? []
    : [...Value.Errors(ProviderSettingsList, parsed)]
        .filter((error) => error.path !== '' && !/^\/\d+$/.test(error.path))
        .map((error) => `CONFIG ERROR: KAIF_OAUTH_PROVIDERS${error.path} ${error.message.toLowerCase()}`);
  if (errors.length === 0 && !Value.Check(ProviderSettingsList, parsed)) {
    errors.push(`CONFIG ERROR: KAIF_OAUTH_PROVIDERS must be a JSON array of providers with kind "oidc", "github" or "vk" (got kinds ${JSON.stringify(kinds)})`);
  }
  if (errors.length > 0) throw new ConfigError([...new Set(errors)]);
  const settings = parsed as ProviderSettings[];
  const ids = settings.map((entry) => entry.id);
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate !== undefined) throw new ConfigError([`CONFIG ERROR: KAIF_OAUTH_PROVIDERS lists the id "${duplicate}" twice`]);
  const URL_FIELDS = ['issuer', 'authorizationEndpoint', 'tokenEndpoint', 'apiUrl', 'userInfoEndpoint'] as const;
  for (const [index, entry] of settings.entries()) {
    for (const field of URL_FIELDS) {
      const value = (entry as Partial<Record<(typeof URL_FIELDS)[number], string>>)[field];
      if (value?.startsWith('http:') && !isLoopbackHttp(value)) {
        throw new ConfigError([`CONFIG ERROR: KAIF_OAUTH_PROVIDERS/${index}/${field} must use https (plain http only on loopback)`]);
      }
    }
  }
  return settings;
}
