import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, sendMessage, signUp, startDirectChat, uniqueName } from './support/app-actions.js';
import { type WebStack, startWebStack } from './support/web-stack.js';

describe('two people chatting in the browser', () => {
  let stack: WebStack;
  let aliceContext: BrowserContext;
  let bobContext: BrowserContext;
  let alice: Page;
  let bob: Page;
  const aliceName = uniqueName('alice');
  const bobName = uniqueName('bob');

  const bubbles = (page: Page, text: string) => page.locator('.message', { hasText: text });

  beforeAll(async () => {
    stack = await startWebStack();
    aliceContext = await stack.newContext();
    bobContext = await stack.newContext();
    alice = await aliceContext.newPage();
    bob = await bobContext.newPage();
    await signUp(alice, aliceName, 'Alice');
    await signUp(bob, bobName, 'Bob');
  }, 120_000);

  afterEach(() => {
    expect(stack.consoleErrors).toEqual([]);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('titles the page Kaif Lake', async () => {
    expect(await alice.title()).toBe('Kaif Lake');
  });

  async function bobOpensTheChat() {
    await bob.locator('.chat-row', { hasText: 'Alice' }).click();
    await bob.getByLabel('Message', { exact: true }).waitFor();
  }

  it('shows a new chat and its first message to the other person without a reload', async () => {
    await startDirectChat(alice, bobName);
    await sendMessage(alice, 'Hi Bob, lunch today?');
    await bubbles(alice, 'Hi Bob, lunch today?').waitFor();

    const row = bob.locator('.chat-row', { hasText: 'Alice' });
    await row.waitFor();
    await expect.poll(() => row.locator('.chat-row-preview').textContent(), { timeout: 5000 }).toBe('Hi Bob, lunch today?');
    await expect.poll(() => row.locator('.badge').textContent(), { timeout: 5000 }).toBe('1 unread');
  });

  it('delivers messages both ways in real time once the chat is open', async () => {
    await bobOpensTheChat();
    await bubbles(bob, 'Hi Bob, lunch today?').waitFor();
    await sendMessage(bob, 'Hi Alice!');
    await bubbles(alice, 'Hi Alice!').waitFor();
    await sendMessage(alice, 'Great to hear from you');
    await bubbles(bob, 'Great to hear from you').waitFor();
  });

  it('shows that the other person is typing', async () => {
    // The server announces typing at most once per 3 s per chat; Bob typed his last message just now.
    await new Promise((done) => setTimeout(done, 3100));
    await bob.getByLabel('Message', { exact: true }).pressSequentially('Sure', { delay: 30 });
    await expect.poll(() => alice.getByTestId('typing').textContent(), { timeout: 5000 }).toBe('Bob is typing…');
    await bob.getByLabel('Message', { exact: true }).press('Enter');
    await bubbles(alice, 'Sure').waitFor();
    await expect.poll(() => alice.getByTestId('typing').textContent(), { timeout: 5000 }).toBe('');
  });

  it('marks a message read once the other person has seen it', async () => {
    await sendMessage(alice, 'Noon at the lake?');
    await bubbles(bob, 'Noon at the lake?').waitFor();
    await eventually(() => bubbles(alice, 'Noon at the lake?').getAttribute('data-status'), 'read');
  });

  it('keeps a message sent offline and delivers it exactly once on reconnect', async () => {
    await bobContext.setOffline(true);
    await bob.getByTestId('connection-banner').waitFor();
    await sendMessage(bob, 'Written in the tunnel');
    await eventually(() => bubbles(bob, 'Written in the tunnel').getAttribute('data-status'), 'sending');
    await new Promise((done) => setTimeout(done, 500));
    expect(await bubbles(alice, 'Written in the tunnel').count()).toBe(0);

    await bobContext.setOffline(false);
    await bubbles(alice, 'Written in the tunnel').waitFor();
    await bob.getByTestId('connection-banner').waitFor({ state: 'detached' });
    await eventually(async () => (await bubbles(bob, 'Written in the tunnel').getAttribute('data-status')) !== 'sending', true);
    await new Promise((done) => setTimeout(done, 1000));
    expect(await bubbles(alice, 'Written in the tunnel').count()).toBe(1);
    expect(await bubbles(bob, 'Written in the tunnel').count()).toBe(1);
  });

  it('edits and deletes a message for both sides', async () => {
    const mine = bubbles(alice, 'Noon at the lake?');
    await mine.hover();
    await mine.getByRole('button', { name: 'Edit' }).click();
    const box = alice.getByLabel('Message', { exact: true });
    await box.fill('Half past twelve at the lake?');
    await box.press('Enter');
    await bubbles(bob, 'Half past twelve at the lake?').locator('.message-edited').waitFor();

    const edited = bubbles(alice, 'Half past twelve at the lake?');
    await edited.hover();
    await edited.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => bubbles(bob, 'Half past twelve').count(), { timeout: 5000 }).toBe(0);
  });

  it('replies to a message with a quote', async () => {
    const theirs = bubbles(alice, 'Written in the tunnel');
    await theirs.hover();
    await theirs.getByRole('button', { name: 'Reply' }).click();
    await sendMessage(alice, 'Welcome back above ground');
    await bob.locator('.message', { hasText: 'Welcome back above ground' }).locator('.reply-quote', { hasText: 'Written in the tunnel' }).waitFor();
  });
});
