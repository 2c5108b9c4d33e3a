/**
 * Reconnect delay: exponential with full jitter ("Exponential Backoff And
 * Jitter", AWS Architecture Blog), so a server restart is not met by every
 * client at the same instant.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30)));
}
