import { fileURLToPath } from 'node:url';
import { Wallet } from 'ethers';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalChain, startAnvil } from '../../../test/support/anvil.js';
import { signUp, uniqueName } from './support/app-actions.js';
import { type WebStack, startWebStack } from './support/web-stack.js';

const ETH = 10n ** 18n;

/**
 * Money on and off chain in the browser, against a local anvil: the deposit
 * address the page shows receives ETH on chain, the worker credits it, and
 * the withdraw form sends part of it back out, settled on chain.
 */
describe('deposit and withdraw in the browser (anvil)', () => {
  let chain: LocalChain;
  let stack: WebStack;
  let page: Page;

  beforeAll(async () => {
    chain = await startAnvil();
    stack = await startWebStack({
      env: {
        KAIF_WALLET_ASSETS: 'ETH',
        KAIF_WALLET_EVM_ASSETS: JSON.stringify([{ asset: 'ETH', chainId: chain.chainId }]),
        KAIF_WALLET_RPC_URLS: `ETH=${chain.url}`,
        KAIF_WALLET_CONFIRMATIONS: '1',
        KAIF_WALLET_CHAIN_POLL_MS: '100',
      },
    });
    page = await stack.newPage();
    await signUp(page, uniqueName('erin'), 'Erin');
  }, 120_000);
  afterEach(() => {
    expect(stack.consoleErrors).toEqual([]);
  });
  afterAll(async () => {
    await stack?.stop();
    await chain?.stop();
  });

  it('shows a deposit address with its QR code, credits a deposit to it, and withdraws on chain', async () => {
    await page.getByRole('button', { name: 'Wallet', exact: true }).click();
    await page.getByTestId('balance-ETH').waitFor();
    await page.getByRole('button', { name: 'Show my ETH deposit address' }).click();
    const shown = page.getByTestId('deposit-address');
    const qrCode = shown.getByRole('img', { name: 'QR code of your ETH deposit address' });
    await qrCode.waitFor();
    await expect.poll(() => qrCode.evaluate((image) => (image as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    const address = (await shown.locator('code').first().textContent())!.trim();
    expect(address).toMatch(/^0x[0-9a-fA-F]{40}$/);

    // Funds for the hot wallet (the operator's job) and the user's deposit, both on chain.
    const hot = await stack.server.adapters.db
      .kysely<{ 'wallet.hot_wallet_nonces': { address: string } }>()
      .selectFrom('wallet.hot_wallet_nonces')
      .select('address');
    await expect.poll(async () => (await hot.execute()).length, { timeout: 10_000 }).toBe(1);
    await chain.send((await hot.executeTakeFirstOrThrow()).address, 5n * ETH);
    await chain.send(address, 2n * ETH);
    await chain.mine(1);
    // The deposit shows in the balance once the worker credited it.
    await expect
      .poll(
        async () => {
          await page.reload();
          return (await page.getByTestId('balance-ETH').textContent())?.trim();
        },
        { timeout: 15_000 },
      )
      .toBe('2 ETH');
    await page.getByRole('button', { name: 'Show my ETH deposit address' }).click();

    // The withdrawal can only pass once the deposit is credited: insufficient funds until then.
    const to = Wallet.createRandom().address;
    await page.getByLabel('Amount (ETH)').fill('0.5');
    await page.getByLabel('To address').fill(to);
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Withdraw' }).click();
          await page.waitForTimeout(300);
          return page.getByRole('list', { name: 'Your withdrawals' }).locator('li').count();
        },
        { timeout: 15_000 },
      )
      .toBe(1);
    await expect.poll(async () => chain.provider.getBalance(to), { timeout: 15_000 }).toBe(ETH / 2n);
    await chain.mine(1);
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.getByRole('list', { name: 'Your withdrawals' }).locator('li').first().getAttribute('data-state');
        },
        { timeout: 15_000 },
      )
      .toBe('settled');
    // 2 ETH less the 0.5 sent and the fee charged (the most gas it could spend).
    const left = (await page.getByTestId('balance-ETH').textContent())!.trim();
    expect(Number.parseFloat(left)).toBeLessThan(1.5);
    expect(Number.parseFloat(left)).toBeGreaterThan(1.49);
    await page.getByRole('button', { name: 'Show my ETH deposit address' }).click();
    await page.getByTestId('deposit-address').scrollIntoViewIfNeeded();
    await page.screenshot({ path: fileURLToPath(new URL('../screenshots/wallet-deposit-withdraw.png', import.meta.url)), fullPage: true });
  });
});
