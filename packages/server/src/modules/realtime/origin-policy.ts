/**
 * Which browser origins may open /ws (cross-site WebSocket hijacking defence).
 * With an allow-list, only those origins; without one, only the server's own
 * origin (the Origin's host equals the Host header). A request without an
 * Origin header comes from a non-browser client and is allowed: browsers
 * always send one.
 */
export function createOriginPolicy(allowed: string | undefined): (origin: string | undefined, host: string | undefined) => boolean {
  const list = (allowed ?? '')
    .split(',')
    .map((entry) => entry.trim().replace(/\/+$/, '').toLowerCase())
    .filter(Boolean);
  return (origin, host) => {
    if (origin === undefined) return true;
    const normalized = origin.trim().replace(/\/+$/, '').toLowerCase();
    if (list.length > 0) return list.includes('*') || list.includes(normalized);
    try {
      return host !== undefined && new URL(normalized).host === host.toLowerCase();
    } catch {
      return false;
    }
  };
}
