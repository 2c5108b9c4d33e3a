import type { ClientPacket } from '@kaif/protocol';
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
