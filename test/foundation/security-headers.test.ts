import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuilt } from '../../apps/web/test/support/web-build.js';
import { type TestServer, startTestServer } from '../support/test-server.js';

/** Fetches and reads the whole body, so no response is left open when the server stops. */
async function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  const response = await fetch(url, { headers });
  await response.arrayBuffer();
  return response;
}

/** The CSP's directives by name. */
function policyOf(response: Response): Map<string, string> {
  const header = response.headers.get('content-security-policy') ?? '';
  return new Map(
    header
      .split(';')
      .map((directive) => directive.trim())
      .filter(Boolean)
      .map((directive) => {
        const [name, ...sources] = directive.split(/\s+/);
        return [name!, sources.join(' ')] as const;
      }),
  );
}

describe('security headers', () => {
  let server: TestServer;
  let webDir: string;
  beforeAll(async () => {
    webDir = await ensureWebBuilt();
    server = await startTestServer({ env: { KAIF_WEB_DIR: webDir } });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('serves the web client under a strict Content-Security-Policy that forbids framing', async () => {
    const page = await get(`${server.url}/`, { accept: 'text/html' });
    expect(page.status).toBe(200);
    const policy = policyOf(page);
    expect(Object.fromEntries(policy)).toMatchObject({
      'default-src': "'self'",
      'script-src': "'self'",
      'style-src': "'self'",
      'img-src': "'self' data: blob:",
      'connect-src': "'self'",
      'object-src': "'none'",
      'frame-ancestors': "'none'",
    });
    expect(policy.has('upgrade-insecure-requests')).toBe(false);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('builds the web client without inline scripts or styles, so the policy lets it run', () => {
    const html = readFileSync(join(webDir, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [tag, body] of scripts) {
      expect(tag).toMatch(/\ssrc="\/assets\//);
      expect(body!.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style\b|\sstyle="|\son[a-z]+="/);
  });

  it('sends nosniff and no-referrer on API answers and static assets too', async () => {
    const api = await get(`${server.url}/api/v1/nothing-here`);
    expect(api.headers.get('x-content-type-options')).toBe('nosniff');
    expect(api.headers.get('referrer-policy')).toBe('no-referrer');
    const html = readFileSync(join(webDir, 'index.html'), 'utf8');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const asset = await get(`${server.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('x-content-type-options')).toBe('nosniff');
    expect(policyOf(asset).get('default-src')).toBe("'self'");
  });
});
