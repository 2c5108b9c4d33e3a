import { describe, expect, it } from 'vitest';
import { createOriginPolicy } from './origin-policy.js';

describe('origin policy', () => {
  it('allows only the server’s own origin by default', () => {
    const allowed = createOriginPolicy(undefined);
    expect(allowed('http://chat.example:3000', 'chat.example:3000')).toBe(true);
    expect(allowed('https://evil.example', 'chat.example:3000')).toBe(false);
    expect(allowed('not a url', 'chat.example:3000')).toBe(false);
  });

  it('allows clients that send no Origin (not a browser)', () => {
    expect(createOriginPolicy('https://app.example')(undefined, 'x')).toBe(true);
  });

  it('follows the configured allow-list instead of the host', () => {
    const allowed = createOriginPolicy('https://app.example, https://admin.example/');
    expect(allowed('https://admin.example', 'api.example')).toBe(true);
    expect(allowed('https://APP.example', 'api.example')).toBe(true);
    expect(allowed('http://api.example', 'api.example')).toBe(false);
  });
});
