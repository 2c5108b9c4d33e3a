import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { depositFor } from '../../../test/wallet/wallet-fixtures.js';
import { signIn, signUp, uniqueName } from './support/app-actions.js';
import { grantAdminTo, seedUser } from './support/seed.js';
import { type WebStack, startWebStack } from './support/web-stack.js';

const SHOTS = join(import.meta.dirname, '..', 'screenshots');
const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `market-${name}-light-desktop.png`), animations: 'disabled', caret: 'hide' });

/** A drawn brass lantern, rendered to a JPEG: a product photo that looks like one. */
const LANTERN_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="900">
  <rect width="1200" height="900" fill="#efe6d8"/>
  <rect x="480" y="260" width="240" height="420" rx="30" fill="#b8893a"/>
  <rect x="520" y="320" width="160" height="300" rx="16" fill="#ffe7a3"/>
  <circle cx="600" cy="470" r="46" fill="#ffb347"/>
  <path d="M520 260 Q600 150 680 260" stroke="#8a6424" stroke-width="22" fill="none"/>
  <rect x="450" y="680" width="300" height="40" rx="12" fill="#8a6424"/>
</svg>`;

/**
 * The whole marketplace in Chromium: a seller lists a product with a photo,
 * an admin approves it, a buyer finds it by search and buys it (paid into
 * escrow from their wallet), the seller ships, the buyer confirms and
 * reviews; the review shows on the listing.
 */
describe('the marketplace in the browser', () => {
  let stack: WebStack;
  let dataDir: string;
  let seller: Page;
  let admin: Page;
  let buyer: Page;
  const title = `Brass lantern ${uniqueName('no')}`;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kaif-web-market-'));
    stack = await startWebStack({ env: { KAIF_DATA_DIR: dataDir } });
    seller = await stack.newPage();
    admin = await stack.newPage();
    buyer = await stack.newPage();
  }, 120_000);

  afterEach(() => {
    expect(stack.consoleErrors).toEqual([]);
  });

  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('takes a product from listing to a reviewed, paid order', async () => {
    // The seller opens a store and lists a lantern with a photo.
    await signUp(seller, uniqueName('seller'), 'Sasha Seller');
    await seller.getByRole('button', { name: 'Marketplace' }).click();
    await seller.getByRole('button', { name: 'My store' }).click();
    await seller.getByLabel('Store name').fill('Lamplight');
    await seller.getByRole('button', { name: 'Open store' }).click();
    const form = seller.getByRole('form', { name: 'New listing' });
    await form.getByLabel('Title').fill(title);
    await form.getByLabel('Description').fill('Hand-polished brass storm lantern, warm light for the porch.');
    await form.getByLabel('Category').fill('Lighting');
    await form.getByLabel('Price (ETH)').fill('0.05');
    await form.getByLabel('Stock').fill('3');
    await form.getByLabel('Attributes').fill('material=brass\ncolor=gold');
    const photo = await sharp(Buffer.from(LANTERN_SVG)).jpeg({ quality: 85 }).toBuffer();
    await form.getByLabel('Photos').setInputFiles({ name: 'lantern.jpg', mimeType: 'image/jpeg', buffer: photo });
    await form.locator('img.market-photo').waitFor();
    await shot(seller, 'new-listing');
    await form.getByRole('button', { name: 'Submit for approval' }).click();
    await seller.getByText('waits for a moderator’s approval').waitFor();
    await seller.locator('.market-status', { hasText: 'Waiting for approval' }).waitFor();

    // An admin approves it.
    const moderator = await seedUser(stack.url, uniqueName('mod'), 'Morgan Moderator');
    await grantAdminTo(stack.server, moderator);
    await signIn(admin, moderator.username);
    await admin.getByPlaceholder('Search chats and people').waitFor();
    await admin.goto('/market/moderation');
    const card = admin.getByRole('region', { name: title });
    await card.waitFor();
    await card.locator('img.market-photo').waitFor();
    await shot(admin, 'moderation');
    await card.getByRole('button', { name: 'Approve' }).click();
    await card.waitFor({ state: 'detached' });

    // A buyer with 1 ETH finds it by a word form of its title and buys it.
    const shopper = await seedUser(stack.url, uniqueName('buyer'), 'Bea Buyer');
    await depositFor(stack.server.service('wallet'), shopper.id, 'ETH', 10n ** 18n);
    await signIn(buyer, shopper.username);
    await buyer.getByPlaceholder('Search chats and people').waitFor();
    await buyer.getByRole('button', { name: 'Marketplace' }).click();
    await buyer.getByLabel('Search the marketplace').fill('lanterns');
    await buyer.getByRole('button', { name: 'Search', exact: true }).click();
    const result = buyer.getByRole('button', { name: title });
    await result.waitFor();
    await result.locator('img.market-photo').waitFor();
    await buyer.getByRole('button', { name: /lighting/ }).first().waitFor();
    await shot(buyer, 'search');
    await result.click();
    await buyer.locator('.market-gallery img.market-gallery-main').waitFor();
    await buyer.getByText('0.05 ETH').first().waitFor();
    await shot(buyer, 'listing');
    // What the order page hears over its GraphQL subscription socket.
    const liveFrames: string[] = [];
    buyer.on('websocket', (socket) => {
      if (socket.url().endsWith('/api/graphql')) socket.on('framereceived', (frame) => liveFrames.push(String(frame.payload)));
    });
    await buyer.getByRole('button', { name: 'Buy now' }).click();
    await buyer.getByRole('status').filter({ hasText: 'Paid into escrow' }).waitFor();
    await shot(buyer, 'order-paid');

    // The seller ships it from their orders.
    await seller.getByRole('button', { name: 'My orders' }).click();
    await seller.getByRole('region', { name: 'Sold' }).getByRole('button', { name: new RegExp(title) }).click();
    await seller.getByRole('button', { name: 'Mark as shipped' }).click();
    await seller.getByRole('status').filter({ hasText: 'Shipped' }).waitFor();

    // The buyer's order page follows it live (the subscription told it, no poll), then the buyer confirms and reviews.
    await buyer.getByRole('button', { name: 'Confirm receipt' }).waitFor();
    expect(liveFrames.some((frame) => frame.includes('"state":"SHIPPED"'))).toBe(true);
    await buyer.getByRole('button', { name: 'Confirm receipt' }).click();
    await buyer.getByRole('status').filter({ hasText: 'Completed' }).waitFor();
    await buyer.getByLabel('Rating').selectOption('5');
    await buyer.getByLabel('Your review').fill('Beautiful lantern, well packed.');
    await buyer.getByRole('button', { name: 'Post review' }).click();
    await buyer.getByText('Beautiful lantern, well packed.').waitFor();
    await shot(buyer, 'order-reviewed');

    // The review and the rating are on the listing; the seller was paid.
    await buyer.getByRole('button', { name: title }).click();
    await buyer.getByRole('region', { name: 'Reviews' }).getByText('Beautiful lantern, well packed.').waitFor();
    expect(await buyer.getByRole('region', { name: 'Reviews' }).textContent()).toContain('★ 5.0 (1)');
    const wallet = stack.server.service('wallet');
    expect(await wallet.balance(shopper.id, 'ETH')).toBe(10n ** 18n - 5n * 10n ** 16n);
  }, 120_000);
});
