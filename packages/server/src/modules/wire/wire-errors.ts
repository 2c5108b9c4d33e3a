import type { ErrorCode, ServerPacket } from '@kaif/protocol';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { Logger } from '../../platform/logging/logger.js';

/** An error code from the shared registry, or one only the codec produces. */
export type WireCode = Extract<ServerPacket, { packet_type: 'Error' }>['error']['code'];

/**
 * The code a failed packet is answered with. A KaifError carries its own; any
 * other error is ours, so it is logged and the client sees only INTERNAL.
 */
export function codeOf(error: unknown, logger: Logger): ErrorCode {
  if (error instanceof KaifError) return error.code;
  logger.error({ err: error }, 'wire packet failed');
  return 'INTERNAL';
}

/**
 * A refused packet. The Ack's `error` is the bare code (`"AUTH_REQUIRED"`),
 * as the original design's `error: Option<String>`; its meaning is the
 * registry entry in @kaif/protocol's errors.ts. FLOOD_WAIT carries
 * `retry_after`, the seconds to wait before sending again.
 */
export function refusal(code: WireCode, clientMsgId?: string, retryAfter?: number): ServerPacket {
  return {
    packet_type: 'Ack',
    success: false,
    error: code,
    ...(clientMsgId === undefined ? {} : { client_msg_id: clientMsgId }),
    ...(retryAfter === undefined ? {} : { retry_after: retryAfter }),
  };
}

/** A failed packet's refusal, with the wait the error asks for (FLOOD_WAIT, or DEPENDENCY_UNAVAILABLE at capacity). */
export function refusalOf(error: unknown, logger: Logger, clientMsgId?: string): ServerPacket {
  const retryAfter = error instanceof KaifError ? error.retryAfter : undefined;
  return refusal(codeOf(error, logger), clientMsgId, retryAfter);
}

/** The code of a refusal, or undefined for any other packet. */
export function refusedCode(packet: ServerPacket): string | undefined {
  return packet.packet_type === 'Ack' && !packet.success ? packet.error : undefined;
}
