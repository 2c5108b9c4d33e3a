const BROWSERS: readonly [RegExp, string][] = [
  [/Edg\//, 'Edge'],
  [/OPR\//, 'Opera'],
  [/Firefox\//, 'Firefox'],
  [/(Headless)?Chrom(e|ium)\//, 'Chrome'],
  [/Safari\//, 'Safari'],
];

const SYSTEMS: readonly [RegExp, string][] = [
  [/Android/, 'Android'],
  [/iPhone|iPad/, 'iOS'],
  [/Windows/, 'Windows'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/Linux|X11/, 'Linux'],
];

/**
 * A session's client name as people say it: browsers send a User-Agent
 * ("Mozilla/5.0 (X11; Linux …) Chrome/…"), shown as "Chrome on Linux";
 * names an app chose itself are shown as they are.
 */
export function deviceName(clientName: string): string {
  if (!clientName) return 'Unknown device';
  if (!clientName.startsWith('Mozilla/')) return clientName;
  const browser = BROWSERS.find(([pattern]) => pattern.test(clientName))?.[1] ?? 'Browser';
  const system = SYSTEMS.find(([pattern]) => pattern.test(clientName))?.[1];
  return system ? `${browser} on ${system}` : browser;
}
