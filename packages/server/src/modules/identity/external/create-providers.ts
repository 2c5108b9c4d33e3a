import type { DependencyPolicy } from '../../../platform/resilience/dependency-policy.js';
import { GithubSignIn } from './github-sign-in.js';
import { OidcSignIn } from './oidc-sign-in.js';
import { parseProviderSettings } from './provider-settings.js';
import type { SignInProvider } from './sign-in-provider.js';
import { VkSignIn } from './vk-sign-in.js';

/** The providers of KAIF_OAUTH_PROVIDERS, each with its own resilience policy (`oauth:<id>` in /health and /metrics). */
export function createSignInProviders(
  raw: string | undefined,
  policyFor: (dependency: string) => DependencyPolicy,
): ReadonlyMap<string, SignInProvider> {
  const providers = new Map<string, SignInProvider>();
  for (const settings of parseProviderSettings(raw)) {
    const policy = policyFor(`oauth:${settings.id}`);
    providers.set(
      settings.id,
      settings.kind === 'oidc'
        ? new OidcSignIn(settings, policy)
        : settings.kind === 'github'
          ? new GithubSignIn(settings, policy)
          : new VkSignIn(settings, policy),
    );
  }
  return providers;
}
