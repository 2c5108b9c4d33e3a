import type { ErrorCode } from '@kaif/protocol';

/** An error the server answered with (HTTP or WebSocket), or a network failure (`NETWORK_ERROR`, status 0). */
export class KaifApiError extends Error {
  readonly code: ErrorCode | 'NETWORK_ERROR';
  readonly status: number;
  /** Seconds to wait before retrying, on FLOOD_WAIT. */
  readonly retryAfter: number | undefined;
  readonly field: string | undefined;

  constructor(code: ErrorCode | 'NETWORK_ERROR', message: string, status: number, details: { retryAfter?: number; field?: string } = {}) {
    super(message);
    this.name = 'KaifApiError';
    this.code = code;
    this.status = status;
    this.retryAfter = details.retryAfter;
    this.field = details.field;
  }
}
