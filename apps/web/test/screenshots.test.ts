import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from './support/app-actions.js';
import { type SeededUser, grantAdminTo, seedUser } from './support/seed.js';
import { WEB_ROOT } from './support/web-build.js';
import { DESKTOP, PHONE, type WebStack, startWebStack } from './support/web-stack.js';

const SHOTS = join(WEB_ROOT, 'screenshots');
const SCHEMES = ['light', 'dark'] as const;
const SIZES = { desktop: DESKTOP, phone: PHONE } as const;

/**
 * Captures the main screens in both themes at desktop and phone width, on a
 * server seeded with a believable conversation. Maya is made admin as an
 * operator would (`kaif admin grant`), so she also sees System health.
 */
describe('screenshots of the main screens', () => {
  let stack: WebStack;
  let maya: SeededUser;
  let leo: SeededUser;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    stack = await startWebStack();
    maya = await seedUser(stack.url, 'maya', 'Maya Lind');
    await grantAdminTo(stack.server, maya);
    leo = await seedUser(stack.url, 'leo', 'Leo Park');
    const priya = await seedUser(stack.url, 'priya', 'Priya Shah');
    const direct = await maya.client.chats.create({ type: 'direct', memberIds: [leo.id] });
    const script: [SeededUser, string][] = [
      [leo, 'Morning! Are we still on for the kayak trip on Saturday?'],
      [maya, 'Yes! I booked two kayaks for 9:00 at the north pier.'],
      [maya, 'Bring a dry bag for your phone, the wind picks up after noon.'],
      [leo, 'Perfect. I will pack lunch for both of us.'],
      [leo, 'Should we invite Priya too?'],
      [maya, 'Already asked her in the hike group — she is in if the weather holds.'],
      [leo, 'Forecast says sunny, 22 °C. See you at the pier!'],
    ];
    for (const [author, text] of script) await author.client.messages.send(direct.id, { text });
    const group = await maya.client.chats.create({ type: 'group', title: 'Weekend hike', memberIds: [leo.id, priya.id] });
    await priya.client.messages.send(group.id, { text: 'I can drive, there is room for three.' });
    const channel = await maya.client.chats.create({ type: 'channel', title: 'Lake announcements' });
    await maya.client.messages.send(channel.id, { text: 'The boathouse opens at 8:00 this weekend.' });
    const withPriya = await priya.client.chats.create({ type: 'direct', memberIds: [maya.id] });
    await priya.client.messages.send(withPriya.id, { text: 'Did you get the trail map I sent?' });
    await priya.client.messages.send(withPriya.id, { text: 'It has the new shortcut along the shore.' });
    leo.client.realtime.connect();
  }, 120_000);

  afterEach(() => {
    expect(stack.consoleErrors).toEqual([]);
  });

  afterAll(async () => {
    leo?.client.realtime.disconnect();
    await stack?.stop();
  });

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), animations: 'disabled', caret: 'hide' });

  for (const scheme of SCHEMES) {
    for (const [size, viewport] of Object.entries(SIZES)) {
      it(`captures every screen in ${scheme} at ${size} width`, async () => {
        const page = await stack.newPage({ viewport, colorScheme: scheme, isMobile: size === 'phone', hasTouch: size === 'phone' });
        await page.goto('/');
        await page.getByLabel('Username or email').waitFor();
        await shot(page, `sign-in-${scheme}-${size}`);

        await signIn(page, 'maya');
        const leoRow = page.locator('.chat-row', { hasText: 'Leo Park' });
        await leoRow.locator('.avatar-online').waitFor();
        if (size === 'phone') await shot(page, `chats-${scheme}-${size}`);
        await leoRow.click();
        await page.locator('.message', { hasText: 'See you at the pier!' }).waitFor();
        await page.mouse.move(0, 0);
        await shot(page, `conversation-${scheme}-${size}`);

        await page.getByRole('button', { name: size === 'phone' ? 'Back to chats' : 'Open settings' }).click();
        if (size === 'phone') await page.getByRole('button', { name: 'Open settings' }).click();
        await page.locator('.session-row').first().waitFor();
        await shot(page, `settings-${scheme}-${size}`);

        await page.goto('/system');
        await page.getByTestId('health-status').getByText(/healthy|degraded|unhealthy/i).waitFor();
        // Rates need two scrapes, three seconds apart.
        await page.locator('.stat', { hasText: 'Requests / s' }).locator('.stat-value').getByText(/\d/).waitFor({ timeout: 8000 });
        await shot(page, `system-health-${scheme}-${size}`);
        await page.context().close();
      }, 60_000);
    }
  }
});
