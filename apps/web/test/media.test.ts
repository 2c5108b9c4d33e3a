import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { recorded } from '../../../test/media/media-fixtures.js';
import { sendMessage, signUp, startDirectChat, uniqueName } from './support/app-actions.js';
import { type WebStack, startWebStack } from './support/web-stack.js';

const SHOTS = join(import.meta.dirname, '..', 'screenshots');
/**
 * Handing 10–12 MiB to the page goes through the DevTools protocol as
 * base64; on a busy 2-core machine (a CI dry run of 2026-11-30) that alone
 * took past the page's default 10 s. The tests are about resuming, not that.
 */
const LARGE_FILE_MS = 60_000;

/** A drawn lake at sunset, rendered to a 2400×1600 JPEG by sharp: a photo that looks like one in the screenshots. */
const LAKE_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="2400" height="1600">
  <defs>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#2b4c7e"/><stop offset="1" stop-color="#f3a66b"/></linearGradient>
    <linearGradient id="lake" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#e58f5c"/><stop offset="1" stop-color="#1d3557"/></linearGradient>
  </defs>
  <rect width="2400" height="1000" fill="url(#sky)"/>
  <circle cx="1600" cy="930" r="170" fill="#ffd27a"/>
  <path d="M0 1000 L420 640 L760 900 L1100 560 L1500 1000 Z" fill="#3d4f6b"/>
  <rect y="1000" width="2400" height="600" fill="url(#lake)"/>
  <rect x="300" y="1120" width="900" height="26" fill="#5b3a29"/>
</svg>`;

describe('sending a photo and a file in the browser', () => {
  let stack: WebStack;
  let dataDir: string;
  let aliceContext: BrowserContext;
  let bobContext: BrowserContext;
  let alice: Page;
  let bob: Page;
  const bobName = uniqueName('bob');

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kaif-web-media-'));
    stack = await startWebStack({ env: { KAIF_DATA_DIR: dataDir } });
    aliceContext = await stack.newContext();
    bobContext = await stack.newContext();
    alice = await aliceContext.newPage();
    bob = await bobContext.newPage();
    await signUp(alice, uniqueName('alice'), 'Alice');
    await signUp(bob, bobName, 'Bob');
    await startDirectChat(alice, bobName);
    await sendMessage(alice, 'Photos from the lake');
    await bob.locator('.chat-row', { hasText: 'Alice' }).click();
    await bob.getByLabel('Message', { exact: true }).waitFor();
  }, 120_000);

  afterEach(() => {
    expect(stack.consoleErrors).toEqual([]);
  });

  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('uploads a photo with a progress bar; the peer sees the thumbnail live, then the full photo in the lightbox', async () => {
    // A 2400×1600 photo: large enough for the progress bar to be seen and the thumbnail to differ from the original.
    const photo = await sharp(Buffer.from(LAKE_SVG)).jpeg({ quality: 90 }).toBuffer();
    await alice.getByLabel('Message', { exact: true }).fill('The view from the pier');
    // Seen on Alice's side while the bytes go up.
    const progress = alice.getByRole('status', { name: 'Uploading pier.jpg' });
    const progressSeen = progress.waitFor({ timeout: 10_000 }).then(() => true);
    await alice.getByTestId('attach-input').setInputFiles({ name: 'pier.jpg', mimeType: 'image/jpeg', buffer: photo });
    expect(await progressSeen).toBe(true);

    const bobPhoto = bob.locator('.message', { hasText: 'The view from the pier' }).locator('.media-photo');
    await bobPhoto.locator('img.media-thumbnail').waitFor();
    const thumbnailWidth = await bobPhoto.locator('img.media-thumbnail').evaluate((img) => (img as HTMLImageElement).naturalWidth);
    expect(thumbnailWidth).toBe(320);
    await bob.screenshot({ path: join(SHOTS, 'media-photo-light-desktop.png'), animations: 'disabled', caret: 'hide' });

    await bobPhoto.click();
    const full = bob.locator('.lightbox img[data-full="true"]');
    await full.waitFor();
    await expect.poll(() => full.evaluate((img) => (img as HTMLImageElement).naturalWidth), { timeout: 5000 }).toBe(2400);
    await bob.screenshot({ path: join(SHOTS, 'media-lightbox-light-desktop.png'), animations: 'disabled', caret: 'hide' });
    await bob.keyboard.press('Escape');
    await bob.locator('.lightbox').waitFor({ state: 'detached' });
  });

  it('sends a file as a card with its size, which the peer downloads', async () => {
    await alice.getByTestId('attach-input').setInputFiles({ name: 'menu.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% lunch menu\n%%EOF\n') });
    const card = bob.locator('.media-file', { hasText: 'menu.pdf' });
    await card.waitFor();
    expect(await card.locator('.media-file-size').textContent()).toBe('28 B');
    const download = bob.waitForEvent('download');
    await card.getByRole('button', { name: 'Download' }).click();
    expect((await download).suggestedFilename()).toBe('menu.pdf');
    await bob.screenshot({ path: join(SHOTS, 'media-file-light-desktop.png'), animations: 'disabled', caret: 'hide' });
  });

  it('takes a video dropped onto the chat; the peer plays it', async () => {
    const clip = await recorded('video', 2, '320x240', 'webm');
    const conversation = alice.locator('section.conversation');
    const dataTransfer = await alice.evaluateHandle((base64) => {
      const transfer = new DataTransfer();
      const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
      transfer.items.add(new File([bytes], 'clip.webm', { type: 'video/webm' }));
      return transfer;
    }, clip.toString('base64'));
    await conversation.dispatchEvent('dragover', { dataTransfer });
    await conversation.dispatchEvent('drop', { dataTransfer });

    const play = bob.getByRole('button', { name: 'Play clip.webm' });
    await play.waitFor();
    await expect.poll(() => bob.locator('.chat-row', { hasText: 'Alice' }).locator('.chat-row-preview').textContent(), { timeout: 5000 }).toBe('Video');
    await expect.poll(() => play.textContent(), { timeout: 5000 }).toContain('0:02');
    // The poster comes from the worker, a moment after the upload.
    await play.locator('img').waitFor({ timeout: 15_000 });
    await bob.screenshot({ path: join(SHOTS, 'media-video-light-desktop.png'), animations: 'disabled', caret: 'hide' });
    await play.click();
    const video = bob.locator('video.media-video');
    await video.waitFor();
    await video.evaluate(async (element) => {
      const player = element as HTMLVideoElement;
      player.muted = true;
      await player.play();
    });
    await expect.poll(() => video.evaluate((element) => (element as HTMLVideoElement).currentTime), { timeout: 10_000 }).toBeGreaterThan(0);
  });

  it('shows a voice note with its waveform', async () => {
    await alice.getByTestId('attach-input').setInputFiles({ name: 'voice.ogg', mimeType: 'audio/ogg', buffer: await recorded('audio', 1) });
    const note = bob.getByRole('button', { name: 'Play voice.ogg' });
    await note.waitFor();
    expect(await note.locator('.waveform span').count()).toBe(64);
    expect(await note.textContent()).toContain('Voice 0:01');
  });

  /**
   * Intercepts Alice's tus requests (CDP Fetch): `decide` says, for each,
   * whether it goes through, is dropped as a reset connection, or is held
   * unanswered (as a page that is closed mid-request leaves it).
   */
  async function interceptUploads(decide: (method: string, index: number) => 'continue' | 'reset' | 'hold'): Promise<{ readonly seen: string[]; stop(): Promise<void> }> {
    const cdp: CDPSession = await aliceContext.newCDPSession(alice);
    const seen: string[] = [];
    cdp.on('Fetch.requestPaused', (event) => {
      const method = event.request.method;
      const verdict = decide(method, seen.filter((earlier) => earlier.startsWith(method)).length);
      seen.push(`${method}${verdict === 'continue' ? '' : ` (${verdict})`}`);
      if (verdict === 'continue') void cdp.send('Fetch.continueRequest', { requestId: event.requestId }).catch(() => undefined);
      else if (verdict === 'reset') void cdp.send('Fetch.failRequest', { requestId: event.requestId, errorReason: 'ConnectionReset' }).catch(() => undefined);
    });
    await cdp.send('Fetch.enable', { patterns: [{ urlPattern: '*/api/v1/uploads*', requestStage: 'Request' }] });
    return {
      seen,
      async stop() {
        await cdp.send('Fetch.disable').catch(() => undefined);
        await cdp.detach().catch(() => undefined);
      },
    };
  }

  /** Bob downloads the file card named `name`; its SHA-256. */
  async function downloadedHash(name: string): Promise<string> {
    const card = bob.locator('.media-file', { hasText: name });
    await card.waitFor({ timeout: 30_000 });
    const download = bob.waitForEvent('download');
    await card.getByRole('button', { name: 'Download' }).click();
    return createHash('sha256')
      .update(await readFile((await (await download).path())!))
      .digest('hex');
  }

  it('uploads a large file resumably: a connection dropped mid-way resumes where it stopped, and the peer gets the same bytes', { timeout: 4 * LARGE_FILE_MS }, async () => {
    // 12 MiB: past the resumable threshold (8 MiB), three chunks of 4 MiB.
    const survey = randomBytes(12 * 1024 * 1024);
    const tus = await interceptUploads((method, index) => (method === 'PATCH' && index === 1 ? 'reset' : 'continue'));
    try {
      await alice.getByTestId('attach-input').setInputFiles({ name: 'lake-survey.bin', mimeType: 'application/octet-stream', buffer: survey }, { timeout: LARGE_FILE_MS });
      expect(await downloadedHash('lake-survey.bin')).toBe(createHash('sha256').update(survey).digest('hex'));
      // Created once; the second chunk's connection dropped; the client asked where the server stood (HEAD) and went on from there.
      expect(tus.seen).toEqual(['POST', 'PATCH', 'PATCH (reset)', 'HEAD', 'PATCH', 'PATCH']);
      await bob.screenshot({ path: join(SHOTS, 'media-resumed-light-desktop.png'), animations: 'disabled', caret: 'hide' });
    } finally {
      await tus.stop();
    }
    // The dropped connection is the point of the test, not a fault of the page.
    stack.consoleErrors.splice(0, stack.consoleErrors.length, ...stack.consoleErrors.filter((line) => !line.includes('net::ERR_CONNECTION_RESET')));
  });

  it('resumes a large upload after a reload: attaching the same file again goes on from the last chunk the server has', { timeout: 4 * LARGE_FILE_MS }, async () => {
    const logbook = randomBytes(10 * 1024 * 1024);
    const tus = await interceptUploads((method, index) => (method === 'PATCH' && index === 1 ? 'hold' : 'continue'));
    try {
      await alice.getByTestId('attach-input').setInputFiles({ name: 'logbook.bin', mimeType: 'application/octet-stream', buffer: logbook }, { timeout: LARGE_FILE_MS });
      await expect.poll(() => tus.seen.join(','), { timeout: LARGE_FILE_MS }).toBe('POST,PATCH,PATCH (hold)');
      // The page goes away mid-upload, with 4 MiB on the server.
      await alice.reload();
      await alice.locator('.chat-row', { hasText: 'Bob' }).click();
      await alice.getByTestId('attach-input').setInputFiles({ name: 'logbook.bin', mimeType: 'application/octet-stream', buffer: logbook }, { timeout: LARGE_FILE_MS });
      expect(await downloadedHash('logbook.bin')).toBe(createHash('sha256').update(logbook).digest('hex'));
      // No new upload after the reload: the stored upload URL was asked where it stood, and the rest followed.
      expect(tus.seen).toEqual(['POST', 'PATCH', 'PATCH (hold)', 'HEAD', 'PATCH', 'PATCH']);
    } finally {
      await tus.stop();
    }
  });

  it('says in words why a file was refused', async () => {
    await alice.getByTestId('attach-input').setInputFiles({ name: 'fake.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not really a photo') });
    await alice.getByText('This file cannot be sent', { exact: false }).waitFor();
  });
});
