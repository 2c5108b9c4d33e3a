import * as OTPAuth from 'otpauth';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signIn, signUp, uniqueName } from './support/app-actions.js';
import { type WebStack, startWebStack } from './support/web-stack.js';

describe('two-factor authentication in the browser', () => {
  let stack: WebStack;
  let page: Page;
  let totp: OTPAuth.TOTP;
  const username = uniqueName('carol');

  beforeAll(async () => {
    stack = await startWebStack();
    page = await stack.newPage();
    await signUp(page, username, 'Carol');
  }, 120_000);

  afterEach(() => {
    expect(stack.consoleErrors).toEqual([]);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('lists this device among the sessions', async () => {
    await page.getByRole('button', { name: 'Open settings' }).click();
    await page.locator('.session-row[data-current]').getByText('This device').waitFor();
  });

  it('enrols with the secret shown on the page and shows recovery codes', async () => {
    await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
    const qrCode = page.getByRole('img', { name: 'QR code for your authenticator app' });
    await qrCode.waitFor();
    // The QR code is a data: URL image, which the Content-Security-Policy must let through.
    await expect.poll(() => qrCode.evaluate((image) => (image as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
    totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });

    await page.getByLabel('Code from the app').fill('000000' === totp.generate() ? '111111' : '000000');
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByRole('alert').getByText('That code is wrong').waitFor();

    await page.getByLabel('Code from the app').fill(totp.generate());
    await page.getByRole('button', { name: 'Turn on' }).click();
    const codes = page.getByRole('list', { name: 'Recovery codes' }).locator('li');
    await codes.first().waitFor();
    expect(await codes.count()).toBeGreaterThanOrEqual(8);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.locator('#two-factor-title + .card-lead').getByText('On', { exact: true }).waitFor();
  });

  it('asks for the code at sign-in and signs in with it', async () => {
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await signIn(page, username);
    await page.getByLabel('Authentication code').waitFor();
    // The code of the current step was spent on enrolment; the next step is inside the drift window.
    await page.getByLabel('Authentication code').fill(totp.generate({ timestamp: Date.now() + 30_000 }));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByPlaceholder('Search chats and people').waitFor();
  });

  it('says in words when the password is wrong', async () => {
    await page.getByRole('button', { name: 'Open settings' }).click();
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await signIn(page, username, 'not the password at all');
    await page.getByRole('alert').getByText('Wrong username or password.').waitFor();
  });

  it('counts a rate limit down in words after too many wrong passwords', async () => {
    const alert = page.getByRole('alert');
    const seconds = (text: string) => Number(/(\d+) s$/.exec(text)?.[1]);
    // Sign-in waits grow (1 s, 2 s, 4 s … after five failures): keep trying,
    // through the short waits, until one is long enough to watch count down.
    for (let attempt = 0; attempt < 12 && !(seconds((await alert.textContent()) ?? '') >= 3); attempt++) {
      await Promise.all([
        page.waitForResponse((response) => response.url().endsWith('/api/v1/auth/login')),
        page.getByRole('button', { name: 'Sign in' }).last().click(),
      ]);
    }
    const first = (await alert.textContent()) ?? '';
    expect(first).toMatch(/^Too many attempts\. Try again in \d+ s$/);
    expect(await page.getByRole('button', { name: 'Sign in' }).last().isDisabled()).toBe(true);
    await expect.poll(async () => seconds((await alert.textContent()) ?? ''), { timeout: 5000 }).toBeLessThan(seconds(first));
  });
});
