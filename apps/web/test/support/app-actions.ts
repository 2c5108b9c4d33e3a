import type { Page } from 'playwright-core';
import { expect } from 'vitest';

let counter = 0;

/** A unique, valid username for this run. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}`;
}

export const PASSWORD = 'correct horse battery staple';

/** Signs a new account up through the form and waits for the chat list. */
export async function signUp(page: Page, username: string, displayName: string): Promise<void> {
  await page.goto('/');
  await page.getByRole('tab', { name: 'Create account' }).click();
  await page.getByLabel('Name', { exact: true }).fill(displayName);
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Email', { exact: true }).fill(`${username}@example.test`);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).last().click();
  await page.getByPlaceholder('Search chats and people').waitFor();
}

export async function signIn(page: Page, login: string, password = PASSWORD): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Username or email').fill(login);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).last().click();
}

/** Finds a person by username in the sidebar search and opens the direct chat with them. */
export async function startDirectChat(page: Page, username: string): Promise<void> {
  await page.getByPlaceholder('Search chats and people').fill(username);
  await page.locator(`[data-username="${username}"]`).click();
  await page.getByLabel('Message', { exact: true }).waitFor();
}

export async function sendMessage(page: Page, text: string): Promise<void> {
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
}

/** Polls until `read` returns the expected value (for DOM state that settles asynchronously). */
export async function eventually<T>(read: () => Promise<T>, expected: T, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last: T = await read();
  while (Date.now() < until) {
    if (Object.is(last, expected)) return;
    await new Promise((done) => setTimeout(done, 100));
    last = await read();
  }
  expect(last).toEqual(expected);
}
