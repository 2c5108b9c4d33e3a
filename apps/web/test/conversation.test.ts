import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from './support/app-actions.js';
import { type SeededUser, seedUser } from './support/seed.js';
import { type WebStack, startWebStack } from './support/web-stack.js';

const HISTORY = 120;

describe('a long conversation', () => {
  let stack: WebStack;
  let page: Page;
  let fay: SeededUser;
  let gus: SeededUser;
  let chatId: string;

  const list = () => page.locator('.message-list');
  const topOf = async (text: string) => (await page.getByText(text, { exact: true }).boundingBox())?.y;

  beforeAll(async () => {
    stack = await startWebStack();
    fay = await seedUser(stack.url, 'fay', 'Fay');
    gus = await seedUser(stack.url, 'gus', 'Gus');
    chatId = (await gus.client.chats.create({ type: 'direct', memberIds: [fay.id] })).id;
    for (let n = 1; n <= HISTORY; n++) await gus.client.messages.send(chatId, { text: `Note ${n}` });
    page = await stack.newPage();
    await signIn(page, 'fay');
    await page.locator('.chat-row', { hasText: 'Gus' }).click();
    await page.locator('.message', { hasText: `Note ${HISTORY}` }).waitFor();
  }, 120_000);

  afterEach(() => {
    expect(stack.consoleErrors).toEqual([]);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('opens at the newest message with one page of history', async () => {
    expect(await page.locator('.message').count()).toBe(40);
    expect(await list().evaluate((element) => element.scrollHeight - element.scrollTop - element.clientHeight)).toBeLessThan(2);
  });

  it('loads older pages when scrolled to the top without moving what is on screen', async () => {
    const seenAt = await list().evaluate((element) => {
      element.scrollTop = 0;
      const oldest = [...element.querySelectorAll('.message-text')].find((text) => text.textContent === 'Note 81');
      return oldest?.getBoundingClientRect().y;
    });
    await expect.poll(() => page.locator('.message').count(), { timeout: 5000 }).toBeGreaterThanOrEqual(80);
    // Note 81 was the oldest loaded; after the older page arrives it stays where the reader saw it.
    expect(Math.abs((await topOf('Note 81'))! - seenAt!)).toBeLessThan(2);
    while (!(await page.getByText('Beginning of the conversation').isVisible())) {
      await list().evaluate((element) => {
        element.scrollTop = 0;
      });
      await page.waitForTimeout(200);
    }
    expect(await page.locator('.message').count()).toBe(HISTORY);
  });

  it('keeps the reader in place when a message arrives while they read history', async () => {
    await page.getByText('Note 60', { exact: true }).scrollIntoViewIfNeeded();
    const before = await topOf('Note 60');
    await gus.client.messages.send(chatId, { text: 'A new note while you read' });
    await page.locator('.message', { hasText: 'A new note while you read' }).waitFor({ state: 'attached' });
    expect(await topOf('Note 60')).toBe(before);
  });

  it('follows new messages when the reader is at the bottom', async () => {
    await list().evaluate((element) => {
      element.scrollTop = element.scrollHeight;
    });
    await gus.client.messages.send(chatId, { text: 'And one more at the end' });
    await page.locator('.message', { hasText: 'And one more at the end' }).waitFor();
    await expect
      .poll(() => list().evaluate((element) => element.scrollHeight - element.scrollTop - element.clientHeight), { timeout: 5000 })
      .toBeLessThan(2);
  });

  it('creates a group with a member picked by username', async () => {
    await page.getByRole('button', { name: 'New group or channel' }).click();
    await page.getByLabel('Title').fill('Book club');
    await page.getByLabel('Add members').fill('gus');
    await page.getByRole('button', { name: /^Gus/ }).click();
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.locator('.pane-title h2', { hasText: 'Book club' }).waitFor();
    const chats = await gus.client.chats.list();
    expect(chats.map((chat) => chat.title)).toContain('Book club');
  });
});
