/** What the server's provider callback put in the URL fragment on its way back to the web client. */
export type ProviderReturn =
  | { readonly kind: 'code'; readonly code: string }
  | { readonly kind: 'sign-in-error'; readonly code: string }
  | { readonly kind: 'linked'; readonly provider: string }
  | { readonly kind: 'link-error'; readonly code: string };

export function parseProviderReturn(hash: string): ProviderReturn | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const code = params.get('sign-in-code');
  if (code) return { kind: 'code', code };
  const error = params.get('sign-in-error');
  if (error) return { kind: 'sign-in-error', code: error };
  const linked = params.get('linked');
  if (linked) return { kind: 'linked', provider: linked };
  const linkError = params.get('link-error');
  if (linkError) return { kind: 'link-error', code: linkError };
  return null;
}

/**
 * Reads the fragment once and removes it from the address bar and history
 * at once, so the one-time code is not left in the URL to be copied or
 * bookmarked.
 */
export function takeProviderReturn(): ProviderReturn | null {
  const found = parseProviderReturn(location.hash);
  if (found) history.replaceState(history.state, '', location.pathname + location.search);
  return found;
}
