import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalChain, startAnvil } from '../../../test/support/anvil.js';
import { signIn, startDirectChat, uniqueName } from './support/app-actions.js';
import { type SeededUser, seedUser } from './support/seed.js';
import { type WebStack, startWebStack } from './support/web-stack.js';

const SHOTS = join(import.meta.dirname, '..', 'screenshots');
const ETH = 10n ** 18n;
/** The deposit counts once its block and two more are mined. */
const CONFIRMATIONS = 3;

/**
 * The whole path of money in one run: ETH sent on a local anvil chain to
 * Alice's deposit address is credited after the confirmations, and she sends
 * half of it to Bob in their chat; both browsers see the transfer and both
 * wallets the right balance.
 */
describe('an on-chain deposit sent on in a chat (anvil, two browsers)', () => {
  let chain: LocalChain;
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
    chain = await startAnvil();
    stack = await startWebStack({
      env: {
        KAIF_WALLET_ASSETS: 'ETH',
        KAIF_WALLET_EVM_ASSETS: JSON.stringify([{ asset: 'ETH', chainId: chain.chainId }]),
        KAIF_WALLET_RPC_URLS: `ETH=${chain.url}`,
        KAIF_WALLET_CONFIRMATIONS: String(CONFIRMATIONS),
        KAIF_WALLET_CHAIN_POLL_MS: '100',
      },
    });
    [aliceUser, bobUser] = await Promise.all([seedUser(stack.url, uniqueName('alice'), 'Alice'), seedUser(stack.url, uniqueName('bob'), 'Bob')]);
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
    await chain?.stop();
  });

  it('credits 1 ETH deposited on chain after the confirmations, then Alice sends Bob 0.5 ETH in their chat', async () => {
    // Alice's deposit address, as the wallet screen shows it.
    await alice.getByRole('button', { name: 'Wallet', exact: true }).click();
    await expect.poll(() => balance(alice, 'ETH')).toBe('0 ETH');
    await alice.getByRole('button', { name: 'Show my ETH deposit address' }).click();
    const address = (await alice.getByTestId('deposit-address').locator('code').first().textContent())!.trim();
    expect(address).toMatch(/^0x[0-9a-fA-F]{40}$/);

    // 1 ETH from an anvil account, mined in one block: seen, but not yet credited.
    const txHash = await chain.send(address, ETH);
    const deposit = stack.server.adapters.db
      .kysely<{ 'wallet.chain_deposits': { tx_hash: string; state: string; amount: string } }>()
      .selectFrom('wallet.chain_deposits')
      .select(['state', 'amount'])
      .where('tx_hash', '=', txHash);
    await expect.poll(async () => (await deposit.executeTakeFirst())?.state, { timeout: 15_000 }).toBe('pending');
    expect((await deposit.executeTakeFirstOrThrow()).amount).toBe(ETH.toString());
    expect((await stack.server.service('wallet').balance(aliceUser.id, 'ETH')).toString()).toBe('0');

    // The confirmation blocks: then the worker credits it and the page shows it.
    await chain.mine(CONFIRMATIONS - 1);
    await expect
      .poll(
        async () => {
          await alice.reload();
          return (await balance(alice, 'ETH'))?.trim();
        },
        { timeout: 15_000 },
      )
      .toBe('1 ETH');
    expect((await deposit.executeTakeFirstOrThrow()).state).toBe('credited');
    await shot(alice, 'wallet-anvil-deposit-light-desktop');

    // Bob waits on his wallet screen; Alice sends from their direct chat.
    await bob.getByRole('button', { name: 'Wallet', exact: true }).click();
    await expect.poll(() => balance(bob, 'ETH')).toBe('0 ETH');
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

    // Bob's balance moves live, then he sees the same transfer in the chat.
    await expect.poll(() => balance(bob, 'ETH'), { timeout: 10_000 }).toBe('0.5 ETH');
    await bob.locator('.chat-row', { hasText: 'Alice' }).click();
    const received = bob.getByTestId('transfer-bubble');
    await received.waitFor();
    expect(await received.locator('.transfer-amount').textContent()).toBe('0.5 ETH');
    expect(await received.locator('.transfer-direction').textContent()).toBe('Received');
    expect(await received.getAttribute('data-transfer-id')).toBe(await sent.getAttribute('data-transfer-id'));
    await shot(alice, 'transfer-anvil-sent-light-desktop');
    await shot(bob, 'transfer-anvil-received-light-desktop');

    // Both wallets: 0.5 ETH each, and the ledger agrees.
    await alice.getByRole('button', { name: 'Wallet', exact: true }).click();
    await expect.poll(() => balance(alice, 'ETH')).toBe('0.5 ETH');
    await bob.getByRole('button', { name: 'Wallet', exact: true }).click();
    await expect.poll(() => balance(bob, 'ETH')).toBe('0.5 ETH');
    await shot(alice, 'wallet-anvil-alice-after-light-desktop');
    await shot(bob, 'wallet-anvil-bob-after-light-desktop');
    const wallet = stack.server.service('wallet');
    expect((await wallet.balance(aliceUser.id, 'ETH')).toString()).toBe((ETH / 2n).toString());
    expect((await wallet.balance(bobUser.id, 'ETH')).toString()).toBe((ETH / 2n).toString());
  });
});
