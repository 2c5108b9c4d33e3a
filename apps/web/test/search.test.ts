import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from './support/app-actions.js';
import { type SeededUser, seedUser } from './support/seed.js';
import { type WebStack, startWebStack } from './support/web-stack.js';

/** Messages before and after the one searched for: it lies beyond the first page of history. */
const BEFORE = 30;
const AFTER = 70;
const TARGET = 'The treasure map is under the old oak';

describe('searching messages in the browser', () => {
  let stack: WebStack;
  let page: Page;
  let hana: SeededUser;
  let ivo: SeededUser;

  beforeAll(async () => {
    stack = await startWebStack();
    hana = await seedUser(stack.url, 'hana', 'Hana');
    ivo = await seedUser(stack.url, 'ivo', 'Ivo');
    const chatId = (await ivo.client.chats.create({ type: 'group', title: 'Expedition', memberIds: [hana.id] })).id;
    for (let n = 1; n <= BEFORE; n++) await ivo.client.messages.send(chatId, { text: `Log ${n}` });
    await ivo.client.messages.send(chatId, { text: TARGET });
    for (let n = BEFORE + 1; n <= BEFORE + AFTER; n++) await ivo.client.messages.send(chatId, { text: `Log ${n}` });
    page = await stack.newPage();
    await signIn(page, 'hana');
    await page.locator('.chat-row', { hasText: 'Expedition' }).waitFor();
  }, 120_000);

  afterEach(() => {
    expect(stack.consoleErrors).toEqual([]);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('finds a message in another word form and shows its chat, sender and the words found', async () => {
    await page.getByPlaceholder('Search chats and people').fill('treasures');
    const hit = page.getByRole('list', { name: 'Messages found' }).locator('.search-hit');
    await hit.waitFor();
    expect(await hit.count()).toBe(1);
    expect(await hit.locator('.chat-row-title').textContent()).toBe('Expedition');
    expect(await hit.locator('.search-hit-sender').textContent()).toBe('Ivo: ');
    expect(await hit.locator('mark').allTextContents()).toEqual(['treasure']);
    expect(await hit.locator('.chat-row-preview').textContent()).toBe(`Ivo: ${TARGET}`);
  });

  it('opens the conversation at the message, with the messages around it loaded', async () => {
    await page.getByRole('list', { name: 'Messages found' }).locator('.search-hit').click();
    const bubble = page.locator('.message', { hasText: TARGET });
    await bubble.waitFor();
    await expect.poll(() => bubble.evaluate((element) => element.classList.contains('message-focused'))).toBe(true);
    expect(await bubble.isVisible()).toBe(true);
    const inView = await bubble.evaluate((element) => {
      const list = element.closest('.message-list')!.getBoundingClientRect();
      const box = element.getBoundingClientRect();
      return box.top >= list.top && box.bottom <= list.bottom;
    });
    expect(inView).toBe(true);
    for (const neighbour of [`Log ${BEFORE}`, `Log ${BEFORE + 1}`]) {
      expect(await page.getByText(neighbour, { exact: true }).count()).toBe(1);
    }
    // The newest messages are not loaded yet: they come as the reader scrolls down.
    expect(await page.getByText(`Log ${BEFORE + AFTER}`, { exact: true }).count()).toBe(0);
  });

  it('loads the newer messages as the reader scrolls down, then follows live ones', async () => {
    const list = page.locator('.message-list');
    for (let tries = 0; tries < 20 && (await page.getByText(`Log ${BEFORE + AFTER}`, { exact: true }).count()) === 0; tries++) {
      await list.evaluate((element) => {
        element.scrollTop = element.scrollHeight;
      });
      await page.waitForTimeout(200);
    }
    await page.getByText(`Log ${BEFORE + AFTER}`, { exact: true }).waitFor();
    await ivo.client.messages.send((await ivo.client.chats.list())[0]!.id, { text: 'Found it!' });
    await page.locator('.message', { hasText: 'Found it!' }).waitFor();
  });
});
