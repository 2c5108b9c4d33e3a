import { ERRORS, type ErrorCode, type ErrorPayload } from '@kaif/protocol';

export interface KaifErrorDetails {
  readonly retryAfter?: number;
  readonly field?: string;
}

/**
 * The one error type handlers throw. Its code picks the HTTP status from the
 * registry in @kaif/protocol; the message is safe to show to the client and
 * must never contain a secret.
 */
export class KaifError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryAfter: number | undefined;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message?: string, details: KaifErrorDetails = {}) {
    super(message ?? ERRORS[code].message);
    this.name = 'KaifError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.retryAfter = details.retryAfter;
    this.field = details.field;
  }

  toPayload(): ErrorPayload {
    return {
      code: this.code,
      message: this.message,
      ...(this.retryAfter === undefined ? {} : { retryAfter: this.retryAfter }),
      ...(this.field === undefined ? {} : { field: this.field }),
    };
  }
}
