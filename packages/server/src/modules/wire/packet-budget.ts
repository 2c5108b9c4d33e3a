import type { ClientPacket } from '@kaif/protocol';
import type { FloodLimits } from '../../platform/flood/flood-limits.js';
import { KaifError } from '../../platform/http/kaif-error.js';
import { DEFAULT_PER_PAGE, MAX_PAGED_MESSAGES, MAX_PER_PAGE } from './packet-actions.js';

/**
 * Points a packet draws from its sender's budget, the one HTTP requests and
 * WebSocket sends draw on (`KAIF_RATE_LIMIT_PER_MINUTE`): one, as a request,
 * plus for GetMessages one per 100 rows it reads — the rows it skips to
 * reach its page included, since it reads them too.
 */
export function packetCost(packet: ClientPacket): number {
  if (packet.packet_type !== 'GetMessages') return 1;
  const perPage = Math.min(packet.per_page ?? DEFAULT_PER_PAGE, MAX_PER_PAGE);
  const rowsRead = Math.min((packet.page ?? 1) * perPage, MAX_PAGED_MESSAGES + perPage);
  return 1 + Math.ceil(rowsRead / MAX_PER_PAGE);
}

/** Seconds to wait when the user's budget is spent, 0 when the packet may go ahead. */
export async function chargeUser(flood: FloodLimits, userId: string, packet: ClientPacket): Promise<number> {
  return waitOf(flood.consumeUser(userId, packetCost(packet)));
}

/**
 * One TCP connection's draw on the shared budgets: until its Auth succeeds
 * every packet counts against its address (as an unauthenticated HTTP
 * request does), then against its user. Once refused it refuses on its own
 * until the wait is over, so a client that ignores FLOOD_WAIT costs no round
 * trip to the store.
 */
export class ConnectionBudget {
  private refusedUntil = 0;

  constructor(
    private readonly flood: FloodLimits,
    private readonly ip: string,
  ) {}

  /** Seconds to wait, 0 when the packet may go ahead. */
  async charge(userId: string | undefined, packet: ClientPacket): Promise<number> {
    const now = Date.now();
    if (now < this.refusedUntil) return Math.ceil((this.refusedUntil - now) / 1000);
    const wait = userId === undefined ? await waitOf(this.flood.consumeIp(this.ip)) : await chargeUser(this.flood, userId, packet);
    if (wait > 0) this.refusedUntil = now + wait * 1000;
    return wait;
  }
}

async function waitOf(consumed: Promise<unknown>): Promise<number> {
  try {
    await consumed;
    return 0;
  } catch (error) {
    if (error instanceof KaifError && error.code === 'FLOOD_WAIT') return error.retryAfter ?? 1;
    throw error;
  }
}
