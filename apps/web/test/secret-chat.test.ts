import { join } from 'node:path';
import { sql } from 'kysely';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sendMessage, signUp, uniqueName } from './support/app-actions.js';
import { WEB_ROOT } from './support/web-build.js';
import { type WebStack, startWebStack } from './support/web-stack.js';

const SHOTS = join(WEB_ROOT, 'screenshots');

describe('a secret chat between two browsers', () => {
  let stack: WebStack;
  let contexts: BrowserContext[];
  let alice: Page;
  let bob: Page;
  const bobName = uniqueName('bob');

  const bubble = (page: Page, text: string) => page.locator('.message', { hasText: text });
  const digitsOf = (page: Page, name: string) => page.locator('.safety-numbers li', { hasText: name }).locator('.safety-digits').textContent();

  beforeAll(async () => {
    stack = await startWebStack();
    contexts = [await stack.newContext(), await stack.newContext()];
    alice = await contexts[0]!.newPage();
    bob = await contexts[1]!.newPage();
    await signUp(alice, uniqueName('alice'), 'Alice');
    await signUp(bob, bobName, 'Bob');
  }, 120_000);

  afterEach(() => {
    expect(stack.consoleErrors).toEqual([]);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('is created with a lock mark, shows the same safety numbers on both sides, and carries messages both ways', async () => {
    // Each browser publishes its KeyPackages at sign-in: wait until both devices are in the directory.
    const db = stack.server.adapters.db.kysely<unknown>();
    await expect
      .poll(async () => Number((await sql<{ n: string }>`select count(*) as n from keys.devices`.execute(db)).rows[0]!.n), { timeout: 10_000 })
      .toBe(2);

    await alice.getByRole('button', { name: 'New group or channel' }).click();
    await alice.getByRole('button', { name: 'Secret chat' }).click();
    await alice.getByLabel('Add members').fill(bobName);
    await alice.locator('.pick-row', { hasText: 'Bob' }).click();
    await alice.getByRole('button', { name: 'Create secret chat' }).click();
    await alice.getByLabel('Message', { exact: true }).waitFor();
    await sendMessage(alice, 'Only Bob can read this');
    await bubble(alice, 'Only Bob can read this').waitFor();

    const row = bob.locator('.chat-row', { hasText: 'Secret chat' });
    await row.waitFor();
    expect(await row.locator('.chat-kind-secret').count()).toBe(1);
    expect(await row.locator('.chat-row-preview').textContent()).toBe('Encrypted message');
    await row.click();
    await bubble(bob, 'Only Bob can read this').waitFor();
    await sendMessage(bob, 'And only Alice this');
    await bubble(alice, 'And only Alice this').waitFor();

    for (const page of [alice, bob]) await page.getByRole('button', { name: 'Safety numbers' }).click();
    for (const name of ['Alice', 'Bob']) {
      await expect.poll(() => digitsOf(alice, name)).toMatch(/^(\d{5} ){5}\d{5}$/);
      await expect.poll(() => digitsOf(bob, name)).toBe(await digitsOf(alice, name));
    }
    await alice.screenshot({ path: join(SHOTS, 'secret-chat-alice-desktop.png'), animations: 'disabled', caret: 'hide' });
    await bob.screenshot({ path: join(SHOTS, 'secret-chat-bob-desktop.png'), animations: 'disabled', caret: 'hide' });

    // Altered on the server while Bob was offline: he sees that it cannot be decrypted, and why, never a wrong text.
    await contexts[1]!.setOffline(true);
    await sendMessage(alice, 'Altered in transit');
    await bubble(alice, 'Altered in transit').waitFor();
    await sql`
      update messaging.secret_messages s
      set ciphertext = overlay(s.ciphertext placing (case when substr(s.ciphertext, 60, 1) = 'A' then 'B' else 'A' end) from 60 for 1)
      from messaging.messages m where m.id = s.message_id and s.kind = 'application' and m.seq = (select max(seq) from messaging.messages where chat_id = s.chat_id)`.execute(db);
    await contexts[1]!.setOffline(false);
    const refused = bob.locator('.message-refused');
    await refused.waitFor();
    expect(await refused.textContent()).toContain('Cannot decrypt this message');
    expect(await bubble(bob, 'Altered in transit').count()).toBe(0);
    await bob.screenshot({ path: join(SHOTS, 'secret-chat-cannot-decrypt.png'), animations: 'disabled', caret: 'hide' });

    // After a reload the message keys are used up: both sides show the earlier messages from this browser's
    // own history, and the altered one stays a refusal on Bob's side, never text.
    for (const page of [alice, bob]) await page.reload();
    for (const page of [alice, bob]) {
      await bubble(page, 'Only Bob can read this').waitFor();
      await bubble(page, 'And only Alice this').waitFor();
    }
    await bubble(alice, 'Altered in transit').waitFor();
    await bob.locator('.message-refused').waitFor();
    expect(await bob.locator('.message-refused').textContent()).toContain('Cannot decrypt this message');
    expect(await bubble(bob, 'Altered in transit').count()).toBe(0);

    // Signing out ends the device: its keys and its decrypted history leave the browser.
    const secretDatabases = async () => (await bob.evaluate(() => indexedDB.databases())).filter((entry) => entry.name?.startsWith('kaif-secret-'));
    expect(await secretDatabases()).toHaveLength(1);
    await bob.getByRole('button', { name: 'Open settings' }).click();
    await bob.getByRole('button', { name: 'Sign out', exact: true }).click();
    await bob.getByLabel('Username or email').waitFor();
    await expect.poll(secretDatabases).toEqual([]);

    // The server holds ciphertext only.
    const texts = await sql<{ text: string | null }>`select text from messaging.messages m join messaging.chats c on c.id = m.chat_id where c.type = 'secret'`.execute(db);
    expect(texts.rows.map((row) => row.text)).toEqual([null, null, null, null]);
  });
});
