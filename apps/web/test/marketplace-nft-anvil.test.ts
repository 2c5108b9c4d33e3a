import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getAddress, parseEther } from 'ethers';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deployUriNft } from '../../../test/market/nft-uri-contract.js';
import { type LocalChain, startAnvil } from '../../../test/support/anvil.js';
import { depositFor } from '../../../test/wallet/wallet-fixtures.js';
import { signIn, uniqueName } from './support/app-actions.js';
import { grantAdminTo, seedUser } from './support/seed.js';
import { type WebStack, startWebStack } from './support/web-stack.js';

const SHOTS = join(import.meta.dirname, '..', 'screenshots');
const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `market-nft-${name}-light-desktop.png`), animations: 'disabled', caret: 'hide' });

/** A drawn night lantern: the token's image, carried in its metadata as a data: URI (as on-chain NFTs do). */
const TOKEN_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="600" height="600">
  <rect width="600" height="600" fill="#1d2b4a"/>
  <circle cx="470" cy="120" r="50" fill="#f4f1c9"/>
  <rect x="230" y="180" width="140" height="250" rx="20" fill="#b8893a"/>
  <rect x="255" y="215" width="90" height="180" rx="10" fill="#ffe7a3"/>
  <circle cx="300" cy="305" r="28" fill="#ffb347"/>
  <path d="M255 180 Q300 110 345 180" stroke="#8a6424" stroke-width="14" fill="none"/>
</svg>`;

/**
 * An NFT sold in Chromium against a local anvil chain: a token with an
 * image is minted to the seller's custodial address, the seller lists it
 * in the store's "List an NFT" form, an admin approves it, the buyer opens
 * the collection page, sees the image, buys it, and follows the order to
 * completed; the token's owner on chain is then the buyer's address.
 */
describe('an NFT bought in the browser (anvil)', () => {
  let chain: LocalChain;
  let stack: WebStack;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kaif-web-nft-'));
    chain = await startAnvil();
    stack = await startWebStack({
      env: {
        KAIF_DATA_DIR: dataDir,
        KAIF_WALLET_ASSETS: 'ETH',
        KAIF_WALLET_EVM_ASSETS: JSON.stringify([{ asset: 'ETH', chainId: chain.chainId }]),
        KAIF_WALLET_RPC_URLS: `ETH=${chain.url}`,
        KAIF_WALLET_CONFIRMATIONS: '1',
        KAIF_WALLET_CHAIN_POLL_MS: '200',
        KAIF_MARKET_SAGA_POLL_MS: '100',
        KAIF_MARKET_SAGA_LEASE_MS: '500',
      },
    });
  }, 120_000);

  afterEach(() => {
    expect(stack.consoleErrors).toEqual([]);
  });

  afterAll(async () => {
    await stack?.stop();
    await chain?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('lists a minted token, approves it, and sells it through the collection page to completed, on chain', async () => {
    const wallet = stack.server.service('wallet');
    const nft = await deployUriNft(chain.funder, 'Night Lanterns', 'NLNT');
    const image = await sharp(Buffer.from(TOKEN_SVG)).png().toBuffer();
    const metadata = { name: 'Night Lantern #7', description: 'A lantern under the moon.', image: `data:image/png;base64,${image.toString('base64')}` };

    // The seller's custodial address holds the token, and a little ETH for the transfer's gas.
    const sellerUser = await seedUser(stack.url, uniqueName('seller'), 'Nika Seller');
    const sellerAddress = getAddress(await wallet.nfts.addressOf(sellerUser.id));
    await nft.mint(sellerAddress, 7n, `data:application/json;base64,${Buffer.from(JSON.stringify(metadata)).toString('base64')}`);
    await chain.send(sellerAddress, parseEther('0.01'));
    // That ETH lands in the seller's wallet as a deposit (the address is their deposit address).
    await expect.poll(() => wallet.balance(sellerUser.id, 'ETH'), { timeout: 15_000 }).toBe(10n ** 16n);

    // The seller opens a store and lists the token.
    const seller = await stack.newPage();
    await signIn(seller, sellerUser.username);
    await seller.getByPlaceholder('Search chats and people').waitFor();
    await seller.goto('/market/store');
    await seller.getByLabel('Store name').fill('Lantern night');
    await seller.getByRole('button', { name: 'Open store' }).click();
    const form = seller.getByRole('form', { name: 'List an NFT' });
    await form.getByLabel('Contract address').fill(nft.address);
    await form.getByLabel('Token ID').fill('7');
    await form.getByLabel('Title').fill('Night Lantern #7');
    await form.getByLabel('Price (ETH)').fill('0.02');
    await shot(seller, 'list-form');
    await form.getByRole('button', { name: 'List NFT for approval' }).click();
    await form.getByText('“Night Lantern #7” waits for a moderator’s approval.').waitFor();
    await seller.locator('.market-status', { hasText: 'Waiting for approval' }).waitFor();

    // An admin approves it; the token's image is its photo.
    const moderator = await seedUser(stack.url, uniqueName('mod'), 'Mira Moderator');
    await grantAdminTo(stack.server, moderator);
    const admin = await stack.newPage();
    await signIn(admin, moderator.username);
    await admin.getByPlaceholder('Search chats and people').waitFor();
    await admin.goto('/market/moderation');
    const card = admin.getByRole('region', { name: 'Night Lantern #7' });
    await card.locator('img.market-photo').waitFor();
    await card.getByRole('button', { name: 'Approve' }).click();
    await card.waitFor({ state: 'detached' });

    // The buyer, with 1 ETH, opens the collection page and sees the token with its image and price.
    const buyerUser = await seedUser(stack.url, uniqueName('buyer'), 'Bo Buyer');
    await depositFor(wallet, buyerUser.id, 'ETH', 10n ** 18n);
    const buyer = await stack.newPage();
    await signIn(buyer, buyerUser.username);
    await buyer.getByPlaceholder('Search chats and people').waitFor();
    await buyer.goto(`/market/collections/ETH/${nft.address.toLowerCase()}`);
    await buyer.getByRole('heading', { level: 2, name: 'Night Lanterns (NLNT)' }).waitFor();
    const token = buyer.getByRole('list', { name: 'Tokens' }).getByRole('button', { name: 'Night Lantern #7' });
    await token.locator('img.market-photo').waitFor();
    expect(await token.textContent()).toContain('0.02 ETH');
    expect(await token.getByRole('img', { name: `NFT on ETH, contract ${nft.address.toLowerCase()}, token 7` }).count()).toBe(1);
    // The image is served by our own server (the CSP allows nothing else), from the media module.
    expect(await token.locator('img.market-photo').getAttribute('src')).toMatch(/^blob:|^\/api\/v1\/media\//);
    await shot(buyer, 'collection');

    // The listing page: the image, the badge linking back to the collection, buying.
    await token.click();
    await buyer.locator('.market-gallery img.market-gallery-main').waitFor();
    await buyer.getByRole('region', { name: 'Token' }).getByText('Night Lanterns').waitFor();
    await shot(buyer, 'listing');
    await buyer.getByRole('button', { name: 'Buy now' }).click();

    // The order follows the transfer on chain to completed, with the transfer's hash.
    await buyer.getByRole('status').filter({ hasText: 'Completed' }).waitFor({ timeout: 30_000 });
    const hash = (await buyer.getByTestId('nft-transfer').locator('code').textContent())?.trim();
    expect(hash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await buyer.getByRole('list', { name: 'Progress' }).locator('[data-reached="true"]').allTextContents()).toEqual([
      'Ordered',
      'Paid into escrow',
      'Transferring on chain',
      'Token received, seller paid',
    ]);
    await shot(buyer, 'order-completed');

    // On chain, the token is the buyer's; the seller was paid (on top of the 0.01 ETH deposit), less the transfer's gas.
    const buyerAddress = getAddress(await wallet.nfts.addressOf(buyerUser.id));
    expect(getAddress((await nft.contract.getFunction('ownerOf')(7n)) as string)).toBe(buyerAddress);
    const receipt = (await chain.provider.getTransactionReceipt(hash!))!;
    expect(await wallet.balance(sellerUser.id, 'ETH')).toBe(2n * 10n ** 16n + 10n ** 16n - receipt.gasUsed * receipt.gasPrice);
    expect(await wallet.balance(buyerUser.id, 'ETH')).toBe(10n ** 18n - 2n * 10n ** 16n);
  }, 180_000);
});
