import { type Browser, type BrowserContext, type BrowserContextOptions, type Page, chromium } from 'playwright-core';
import { type TestServer, startTestServer } from '../../../../test/support/test-server.js';
import { ensureWebBuilt } from './web-build.js';

export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 390, height: 844 } as const;

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'];

/**
 * Lines Chromium itself logs for an HTTP error status. The app answers these
 * in words (wrong password is a 401, the TOTP step starts with one), so
 * they are expected traffic, not page errors; so are refused uploads (413, 422).
 */
const BROWSER_NETWORK_LOG = /^Failed to load resource: the server responded with a status of (401|403|404|409|413|422|429)/;

export interface WebStack {
  readonly server: TestServer;
  readonly browser: Browser;
  readonly url: string;
  /** A fresh browser profile; every page in it fails the test on a console error. */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
  newPage(options?: BrowserContextOptions): Promise<Page>;
  /** Console errors and uncaught exceptions seen so far, for `expect(...).toEqual([])`. */
  readonly consoleErrors: string[];
  stop(): Promise<void>;
}

/** Builds the web app if needed, starts a real server serving it (with extra `env`, e.g. sign-in providers), and launches Chromium. */
export async function startWebStack(options: { readonly env?: Readonly<Record<string, string>> } = {}): Promise<WebStack> {
  const webDir = await ensureWebBuilt();
  const server = await startTestServer({ env: { ...options.env, KAIF_WEB_DIR: webDir } });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS }).catch(async (error: unknown) => {
    await server.stop();
    throw error;
  });
  const consoleErrors: string[] = [];
  const contexts: BrowserContext[] = [];

  async function newContext(options: BrowserContextOptions = {}): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: DESKTOP, baseURL: server.url, ...options });
    contexts.push(context);
    // Fail a step in seconds, well inside the test timeout, so the failing step is named.
    context.setDefaultTimeout(10_000);
    context.on('page', (page) => watch(page));
    return context;
  }

  function watch(page: Page): void {
    page.on('console', (message) => {
      if (message.type() === 'error' && !BROWSER_NETWORK_LOG.test(message.text())) consoleErrors.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
    page.on('dialog', (dialog) => void dialog.accept());
  }

  return {
    server,
    browser,
    url: server.url,
    consoleErrors,
    newContext,
    async newPage(options) {
      const context = await newContext(options);
      return context.newPage();
    },
    async stop() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await server.stop();
    },
  };
}
