import type { IncomingMessage } from 'node:http';

const CLAIMED = Symbol('kaif.upgrade.claimed');

/**
 * Several endpoints answer WebSocket upgrades on the HTTP port, and the
 * realtime gateway refuses every upgrade it does not own (a stray one left
 * unanswered would hang). Another endpoint claims its upgrades in an
 * `upgrade` listener that runs first (`prependListener`), and the gateway
 * leaves claimed ones alone.
 */
export function claimUpgrade(request: IncomingMessage): void {
  (request as IncomingMessage & { [CLAIMED]?: true })[CLAIMED] = true;
}

export function isUpgradeClaimed(request: IncomingMessage): boolean {
  return (request as IncomingMessage & { [CLAIMED]?: true })[CLAIMED] === true;
}
