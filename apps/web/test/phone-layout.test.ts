import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sendMessage, signUp, startDirectChat, uniqueName } from './support/app-actions.js';
import { seedUser } from './support/seed.js';
import { PHONE, type WebStack, startWebStack } from './support/web-stack.js';

describe('the phone-width layout', () => {
  let stack: WebStack;
  let page: Page;
  const friend = uniqueName('dana');

  beforeAll(async () => {
    stack = await startWebStack();
    await seedUser(stack.url, friend, 'Dana');
    page = await stack.newPage({ viewport: PHONE, isMobile: true, hasTouch: true });
    await signUp(page, uniqueName('eve'), 'Eve');
  }, 120_000);

  afterEach(() => {
    expect(stack.consoleErrors).toEqual([]);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('shows only the chat list at first', async () => {
    expect(await page.locator('.sidebar').isVisible()).toBe(true);
    expect(await page.locator('.detail').isVisible()).toBe(false);
  });

  it('opens a chat full-screen with a way back', async () => {
    await startDirectChat(page, friend);
    expect(await page.locator('.sidebar').isVisible()).toBe(false);
    await sendMessage(page, 'Hello from my phone');
    await page.locator('.message', { hasText: 'Hello from my phone' }).waitFor();
    await page.getByRole('button', { name: 'Back to chats' }).click();
    await page.locator('.chat-row', { hasText: 'Dana' }).waitFor();
    expect(await page.locator('.detail').isVisible()).toBe(false);
    expect(new URL(page.url()).pathname).toBe('/');
  });

  it('hides System health from people who are not admins', async () => {
    // Nobody is an admin until an operator makes them one; Eve is not.
    expect(await page.getByRole('button', { name: 'System health' }).count()).toBe(0);
  });

  it('fits the screen without sideways scrolling', async () => {
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    expect(await page.locator('.sidebar').evaluate((element) => element.getBoundingClientRect().width)).toBeLessThanOrEqual(PHONE.width);
  });
});
