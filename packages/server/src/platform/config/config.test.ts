import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const result = loadConfig({});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.PORT).toBe(3000);
    expect(result.config.TCP_PORT).toBe(8081);
    expect(result.config.UDP_PORT).toBe(8082);
    expect(result.config.KAIF_DATA_DIR).toBe('./data');
    expect(result.config.DATABASE_URL).toBeUndefined();
  });

  it('converts numeric strings and accepts port 0', () => {
    const result = loadConfig({ PORT: '0', TCP_PORT: '9000' });
    expect(result.ok && result.config.PORT === 0 && result.config.TCP_PORT === 9000).toBe(true);
  });

  it('leaves Web Push uncapped unless told otherwise (the 2 s promise); a cap is taken; a negative or non-numeric cap is refused by name', () => {
    const defaults = loadConfig({});
    expect(defaults.ok && defaults.config.KAIF_PUSH_MAX_PER_SECOND).toBe(0);
    const capped = loadConfig({ KAIF_PUSH_MAX_PER_SECOND: '150' });
    expect(capped.ok && capped.config.KAIF_PUSH_MAX_PER_SECOND).toBe(150);
    for (const bad of ['-1', 'lots']) {
      const result = loadConfig({ KAIF_PUSH_MAX_PER_SECOND: bad });
      expect(!result.ok && result.errors.join('\n')).toMatch(/^CONFIG ERROR: KAIF_PUSH_MAX_PER_SECOND /m);
    }
  });

  it('reports every bad variable at once, each by name', () => {
    const result = loadConfig({ PORT: 'abc', UDP_PORT: '70000', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = result.errors.join('\n');
    for (const name of ['PORT', 'UDP_PORT', 'DATABASE_URL', 'LOG_LEVEL']) {
      expect(text).toMatch(new RegExp(`^CONFIG ERROR: ${name} `, 'm'));
    }
  });

  it('never echoes a secret it rejects', () => {
    const result = loadConfig({ KAIF_SECRET_KEY: 'hunter2-is-not-a-key' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.join('\n')).toContain('KAIF_SECRET_KEY');
    expect(result.errors.join('\n')).not.toContain('hunter2');
  });

  it('refuses DATABASE_URL without KAIF_SECRET_KEY: nodes sharing a database need one key', () => {
    const result = loadConfig({ DATABASE_URL: 'postgres://db/kaif' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([expect.stringMatching(/^CONFIG ERROR: KAIF_SECRET_KEY must be set when DATABASE_URL is/)]);
    expect(loadConfig({ DATABASE_URL: 'postgres://db/kaif', KAIF_SECRET_KEY: `k:${Buffer.alloc(32).toString('base64')}` }).ok).toBe(true);
  });

  it('refuses KAIF_S3_URL without credentials, and never echoes the secret', () => {
    const result = loadConfig({ KAIF_S3_URL: 'http://127.0.0.1:9000', KAIF_S3_SECRET_ACCESS_KEY: 'hunter2' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([expect.stringMatching(/^CONFIG ERROR: KAIF_S3_ACCESS_KEY_ID and KAIF_S3_SECRET_ACCESS_KEY must be set/)]);
    expect(result.errors.join('\n')).not.toContain('hunter2');
    expect(loadConfig({ KAIF_S3_URL: 'http://127.0.0.1:9000', KAIF_S3_ACCESS_KEY_ID: 'a', KAIF_S3_SECRET_ACCESS_KEY: 'b' }).ok).toBe(true);
  });
});
