import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signUp, uniqueName } from './support/app-actions.js';
import { type WebStack, startWebStack } from './support/web-stack.js';

/** Everything the page's own script can read from storage and cookies. */
const readableByScript = (page: Page) =>
  page.evaluate(() => ({
    local: Object.entries(localStorage),
    session: Object.entries(sessionStorage),
    cookies: document.cookie,
  }));

/** A JWT (three base64url parts) or an opaque refresh token (43+ base64url characters). */
const TOKEN_LIKE = /eyJ[\w-]+\.[\w-]+\.[\w-]+|[\w-]{43,}/;

describe('the session in the browser', () => {
  let stack: WebStack;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    stack = await startWebStack();
    context = await stack.newContext();
    page = await context.newPage();
    await signUp(page, uniqueName('dana'), 'Dana');
  }, 120_000);

  afterEach(() => {
    expect(stack.consoleErrors).toEqual([]);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('keeps the refresh token in an HttpOnly cookie and nothing token-like where script can read it', async () => {
    const [cookie] = (await context.cookies()).filter((entry) => entry.name === 'kaif_refresh');
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/api/v1/auth' });
    const readable = await readableByScript(page);
    expect(JSON.stringify(readable)).not.toMatch(TOKEN_LIKE);
    expect(readable.cookies).not.toContain('kaif_refresh');
  });

  it('stays signed in across a reload through the cookie', async () => {
    await page.reload();
    await page.getByPlaceholder('Search chats and people').waitFor();
    expect(JSON.stringify(await readableByScript(page))).not.toMatch(TOKEN_LIKE);
  });

  it('signs out for good: the cookie is gone and a reload shows the sign-in form', async () => {
    await page.getByRole('button', { name: 'Open settings' }).click();
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByLabel('Username or email').waitFor();
    expect((await context.cookies()).some((entry) => entry.name === 'kaif_refresh')).toBe(false);
    await page.reload();
    await page.getByLabel('Username or email').waitFor();
  });
});
