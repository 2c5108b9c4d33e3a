import { describe, expect, it } from 'vitest';
import { deviceName } from '../src/ui/settings/device-name.js';

describe('device names', () => {
  it('names a browser session by browser and system', () => {
    expect(deviceName('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36')).toBe('Chrome on Linux');
    expect(deviceName('Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1')).toBe('Safari on iOS');
  });

  it('keeps a name an app chose itself', () => {
    expect(deviceName('node')).toBe('node');
    expect(deviceName('')).toBe('Unknown device');
  });
});
