import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalOidcProvider, startLocalOidcProvider } from '../../../test/support/local-oidc-provider.js';
import { signUp, uniqueName } from './support/app-actions.js';
import { type WebStack, startWebStack } from './support/web-stack.js';

describe('sign-in with another provider in the browser', () => {
  let provider: LocalOidcProvider;
  let stack: WebStack;
  let page: Page;
  const handle = uniqueName('olga');

  beforeAll(async () => {
    provider = await startLocalOidcProvider();
    const providers = [{ id: 'local', name: 'Local ID', kind: 'oidc', issuer: provider.issuer, clientId: provider.clientId, clientSecret: provider.clientSecret }];
    stack = await startWebStack({ env: { KAIF_OAUTH_PROVIDERS: JSON.stringify(providers) } });
    provider.register(`${stack.url}/api/v1/auth/providers/local/callback`);
    provider.signInNext({ sub: randomUUID(), preferredUsername: handle, name: 'Olga Provider', email: `${handle}@provider.example` });
    page = await stack.newPage();
  }, 120_000);

  afterEach(() => {
    expect(stack.consoleErrors).toEqual([]);
  });

  afterAll(async () => {
    await stack?.stop();
    await provider?.stop();
  });

  it('signs in through the provider and leaves no code in the address bar', async () => {
    await page.goto('/');
    await page.getByRole('link', { name: 'Continue with Local ID' }).click();
    await page.getByPlaceholder('Search chats and people').waitFor();
    expect(new URL(page.url()).hash).toBe('');
    await page.getByRole('button', { name: 'Open settings' }).click();
    await page.getByText(`@${handle}`).waitFor();
  });

  it('shows the provider as linked in settings and refuses to unlink the only way in', async () => {
    const providers = page.getByRole('region', { name: 'Sign-in with other accounts' });
    await providers.getByText('Local ID').waitFor();
    await providers.getByText('Linked', { exact: true }).waitFor();
    await providers.getByRole('button', { name: 'Unlink' }).click();
    await providers.getByRole('alert').getByText('This is your only way to sign in').waitFor();
  });

  it('links the provider to a password account from settings, and unlinks it', async () => {
    const other = await stack.newPage();
    await signUp(other, uniqueName('pavel'), 'Pavel');
    provider.signInNext({ sub: randomUUID(), preferredUsername: uniqueName('pavel_id') });
    await other.getByRole('button', { name: 'Open settings' }).click();
    const providers = other.getByRole('region', { name: 'Sign-in with other accounts' });
    await providers.getByRole('button', { name: 'Link' }).click();
    // Back from the provider on /settings#linked=local, which the app reads and clears.
    await other.getByRole('region', { name: 'Sign-in with other accounts' }).getByRole('status').getByText('Linked.').waitFor();
    expect(new URL(other.url()).hash).toBe('');
    await other.getByRole('region', { name: 'Sign-in with other accounts' }).getByRole('button', { name: 'Unlink' }).click();
    await other.getByRole('region', { name: 'Sign-in with other accounts' }).getByRole('button', { name: 'Link' }).waitFor();
  });
});
