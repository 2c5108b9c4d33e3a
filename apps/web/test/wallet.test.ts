import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signIn, startDirectChat, uniqueName } from './support/app-actions.js';
import { type SeededUser, seedUser } from './support/seed.js';
import { type WebStack, startWebStack } from './support/web-stack.js';

const SHOTS = join(import.meta.dirname, '..', 'screenshots');
const ETH = 10n ** 18n;

describe('sending money in a chat', () => {
  let stack: WebStack;
  let aliceContext: BrowserContext;
  let bobContext: BrowserContext;
  let alice: Page;
  let bob: Page;
  let aliceUser: SeededUser;
  let bobUser: SeededUser;

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), animations: 'disabled', caret: 'hide' });
  const balance = (page: Page, asset: string) => page.getByTestId(`balance-${asset}`).textContent();

  beforeAll(async () => {
    stack = await startWebStack();
    [aliceUser, bobUser] = await Promise.all([seedUser(stack.url, uniqueName('alice'), 'Alice'), seedUser(stack.url, uniqueName('bob'), 'Bob')]);
    // Alice's 1 ETH arrives as a confirmed deposit would: posted on the ledger
    // in-process through the seam chain code uses, never over HTTP.
    await stack.server.service('wallet').post({
      idempotencyKey: `e2e-deposit:${aliceUser.id}`,
      kind: 'deposit',
      actor: { kind: 'system', id: 'e2e-faucet' },
      metadata: { source: 'e2e test' },
      postings: [
        { account: { platform: 'chain_clearing' }, asset: 'ETH', amount: -ETH },
        { account: { user: aliceUser.id }, asset: 'ETH', amount: ETH },
      ],
    });
    aliceContext = await stack.newContext();
    bobContext = await stack.newContext();
    alice = await aliceContext.newPage();
    bob = await bobContext.newPage();
    await signIn(alice, aliceUser.username);
    await signIn(bob, bobUser.username);
    await alice.getByPlaceholder('Search chats and people').waitFor();
    await bob.getByPlaceholder('Search chats and people').waitFor();
  }, 120_000);

  afterEach(() => {
    expect(stack.consoleErrors).toEqual([]);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('shows each person their balances on the wallet screen', async () => {
    await alice.getByRole('button', { name: 'Wallet' }).click();
    await expect.poll(() => balance(alice, 'ETH')).toBe('1 ETH');
    expect(await balance(alice, 'TON')).toBe('0 TON');
    await bob.getByRole('button', { name: 'Wallet' }).click();
    await expect.poll(() => balance(bob, 'ETH')).toBe('0 ETH');
    await shot(alice, 'wallet-light-desktop');
  });

  it('sends 0.5 ETH in a chat: a transfer bubble on both sides, both balances right, the receiver’s live', async () => {
    await startDirectChat(alice, bobUser.username);
    await alice.getByRole('button', { name: 'Send money' }).click();
    const dialog = alice.getByRole('dialog');
    await expect.poll(() => dialog.getByTestId('available').textContent()).toBe('Available: 1 ETH');
    await dialog.getByLabel('Amount').fill('0.5');
    await dialog.getByRole('button', { name: 'Send' }).click();
    await dialog.waitFor({ state: 'detached' });

    const sent = alice.getByTestId('transfer-bubble');
    await sent.waitFor();
    expect(await sent.locator('.transfer-amount').textContent()).toBe('0.5 ETH');
    expect(await sent.locator('.transfer-direction').textContent()).toBe('Sent');

    // Bob is still on his wallet screen: the balance moves without a reload.
    await expect.poll(() => balance(bob, 'ETH'), { timeout: 10_000 }).toBe('0.5 ETH');
    await shot(bob, 'wallet-received-light-desktop');

    await bob.locator('.chat-row', { hasText: 'Alice' }).click();
    const received = bob.getByTestId('transfer-bubble');
    await received.waitFor();
    expect(await received.locator('.transfer-amount').textContent()).toBe('0.5 ETH');
    expect(await received.locator('.transfer-direction').textContent()).toBe('Received');
    expect(await received.getAttribute('data-transfer-id')).toBe(await sent.getAttribute('data-transfer-id'));
    await shot(alice, 'transfer-sent-light-desktop');
    await shot(bob, 'transfer-received-light-desktop');

    await alice.getByRole('button', { name: 'Wallet' }).click();
    await expect.poll(() => balance(alice, 'ETH')).toBe('0.5 ETH');
    await expect.poll(() => alice.locator('.wallet-history-line').first().textContent()).toContain('−0.5 ETH');
  });

  it('refuses more than the balance in words, moving nothing', async () => {
    await alice.locator('.chat-row', { hasText: 'Bob' }).click();
    await alice.getByRole('button', { name: 'Send money' }).click();
    const dialog = alice.getByRole('dialog');
    await expect.poll(() => dialog.getByTestId('available').textContent()).toBe('Available: 0.5 ETH');
    await dialog.getByLabel('Amount').fill('2');
    await dialog.getByRole('button', { name: 'Send' }).click();
    expect(await dialog.getByRole('alert').textContent()).toBe('You do not have that much. Check your balance.');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await alice.getByTestId('transfer-bubble').count()).toBe(1);
    expect((await stack.server.service('wallet').balance(bobUser.id, 'ETH')).toString()).toBe((ETH / 2n).toString());
  });
});
