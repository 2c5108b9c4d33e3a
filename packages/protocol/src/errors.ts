/**
 * The error registry: every error the API, the WebSocket gateway and the wire
 * protocol can return, one entry each, grouped by area. Servers throw by code;
 * clients switch on code. Codes are part of the public contract: never rename.
 */
export const ERRORS = {
  // General
  VALIDATION_FAILED: { status: 400, message: 'The request is not valid' },
  ROUTE_NOT_FOUND: { status: 404, message: 'No such endpoint' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send JSON with Content-Type: application/json' },
  FLOOD_WAIT: { status: 429, message: 'Too many requests; retry later' },
  INTERNAL: { status: 500, message: 'Something went wrong on our side' },
  DEPENDENCY_UNAVAILABLE: { status: 503, message: 'A service we depend on is unavailable; retry later' },
  NOT_READY: { status: 503, message: 'The server is starting or shutting down' },

  // Identity
  UNAUTHORIZED: { status: 401, message: 'Sign in to continue' },
  TOKEN_INVALID: { status: 401, message: 'The token is invalid or expired' },
  TOKEN_REUSED: { status: 401, message: 'This refresh token was already used; the session was signed out' },
  INVALID_CREDENTIALS: { status: 401, message: 'Wrong login or password' },
  TOTP_REQUIRED: { status: 401, message: 'Enter the code from your authenticator app' },
  TOTP_INVALID: { status: 401, message: 'The code is wrong or was already used' },
  ACCOUNT_DISABLED: { status: 403, message: 'This account is disabled' },
  FORBIDDEN: { status: 403, message: 'You are not allowed to do this' },
  ADMIN_BOOTSTRAP_CODE_INVALID: { status: 403, message: 'The admin bootstrap code is wrong, was already used, or an admin already exists' },
  USERNAME_TAKEN: { status: 409, message: 'This username is taken' },
  EMAIL_TAKEN: { status: 409, message: 'This email is already registered' },
  TWO_FACTOR_ALREADY_ENABLED: { status: 409, message: 'Two-factor authentication is already on' },
  TWO_FACTOR_NOT_ENABLED: { status: 409, message: 'Two-factor authentication is not on' },
  TWO_FACTOR_SETUP_REQUIRED: { status: 409, message: 'Start two-factor setup first' },
  USER_NOT_FOUND: { status: 404, message: 'No such user' },
  SESSION_NOT_FOUND: { status: 404, message: 'No such session' },
  PROVIDER_NOT_FOUND: { status: 404, message: 'No such sign-in provider' },
  SIGN_IN_STATE_INVALID: { status: 400, message: 'This sign-in was not started in this browser or took too long; start again' },
  PROVIDER_SIGN_IN_FAILED: { status: 401, message: 'The provider’s answer could not be verified; try again' },
  SIGN_IN_CODE_INVALID: { status: 401, message: 'This sign-in link is invalid, expired or already used; sign in again' },
  EXTERNAL_IDENTITY_NOT_FOUND: { status: 404, message: 'This provider is not linked to your account' },
  EXTERNAL_IDENTITY_IN_USE: { status: 409, message: 'This provider account is already linked to another account' },
  LAST_SIGN_IN_METHOD: { status: 409, message: 'Set a password or link another provider before removing your only way to sign in' },

  // Messaging
  CHAT_NOT_FOUND: { status: 404, message: 'No such chat' },
  MESSAGE_NOT_FOUND: { status: 404, message: 'No such message' },
  MEMBER_NOT_FOUND: { status: 404, message: 'No such member in this chat' },
  CHAT_WRITE_FORBIDDEN: { status: 403, message: 'You cannot post in this chat' },
  CHAT_ADMIN_REQUIRED: { status: 403, message: 'Only the owner or an admin can do this' },
  MESSAGE_AUTHOR_REQUIRED: { status: 403, message: 'Only the sender can edit this message' },
  CLIENT_MSG_ID_CONFLICT: { status: 409, message: 'This clientMsgId was already used for a different message' },
  CHAT_TYPE_MISMATCH: { status: 400, message: 'This action does not apply to this kind of chat' },
  CHAT_MEMBER_LIMIT: { status: 403, message: 'This group is full; use a channel for larger audiences' },
  CHAT_OWNER_REQUIRED: { status: 403, message: 'Only the owner can do this' },

  // Media
  MEDIA_NOT_FOUND: { status: 404, message: 'No such media' },
  MEDIA_REJECTED: { status: 422, message: 'This file is not what it claims to be, cannot be decoded, or is past a size, pixel or duration limit' },
  MEDIA_QUOTA_EXCEEDED: { status: 403, message: 'Your media storage is full; delete something first' },
  RANGE_NOT_SATISFIABLE: { status: 416, message: 'The requested range is outside the file' },
  // Secret chats (MLS delivery service)
  EPOCH_CONFLICT: { status: 409, message: 'Another commit already moved this secret chat past that epoch; process the log and commit again' },
  DEVICE_NOT_FOUND: { status: 404, message: 'No such device' },

  // Real time
  CURSOR_INVALID: { status: 400, message: 'The cursor is invalid or too old; refetch history and sync from null' },
  AUTH_REQUIRED: { status: 401, message: 'Authenticate first' },
  FRAME_TOO_LARGE: { status: 413, message: 'The frame is too large' },

  // CosmicProto wire
  MALFORMED_PACKET: { status: 400, message: 'The packet is not valid JSON or MessagePack' },
  PACKET_TOO_LARGE: { status: 413, message: 'The packet is too large' },
  UNKNOWN_PACKET_TYPE: { status: 400, message: 'Unknown packet_type' },
  TCP_REQUIRED: { status: 400, message: 'Send this packet over TCP; UDP carries only Ping, Status and Typing' },
  ALREADY_AUTHENTICATED: { status: 409, message: 'This connection is already authenticated' },

  // Push
  PUSH_ENDPOINT_REFUSED: { status: 400, message: 'This push endpoint is not allowed: it must be an https URL on a public host' },
  PUSH_SUBSCRIPTION_NOT_FOUND: { status: 404, message: 'No such push subscription' },
  PUSH_RECEIPT_INVALID: { status: 400, message: 'This notification receipt is not valid' },

  // Wallet
  INSUFFICIENT_FUNDS: { status: 409, message: 'Not enough funds on this account' },
  ASSET_NOT_ENABLED: { status: 400, message: 'This asset is not enabled on this server' },
  AMOUNT_INVALID: { status: 400, message: 'The amount must be a positive whole number of the asset’s smallest unit, as a decimal string' },
  IDEMPOTENCY_KEY_REUSED: { status: 409, message: 'This idempotency key was already used for a different wallet operation' },
  LEDGER_UNBALANCED: { status: 500, message: 'A ledger transaction did not balance and was refused' },
  ESCROW_HOLD_NOT_FOUND: { status: 404, message: 'No such escrow hold' },
  ESCROW_HOLD_SETTLED: { status: 409, message: 'This escrow hold was already released or refunded' },
  TRANSFER_TO_SELF: { status: 400, message: 'You cannot send money to yourself' },
  TRANSFER_NOT_FOUND: { status: 404, message: 'No such transfer' },
  TRADE_OFFER_NOT_FOUND: { status: 404, message: 'No such trade offer' },
  TRADE_NOT_FOUND: { status: 404, message: 'No such trade' },
  TRADE_STATE_CONFLICT: { status: 409, message: 'The trade is not in a state that allows this' },
  TRADE_FORBIDDEN: { status: 403, message: 'You are not a party to this trade, or not the party who may do this' },
  SWAP_NOT_CONFIGURED: { status: 501, message: 'No DEX swap provider is configured on this server' },

  // Wallet on chain (deposits and withdrawals)
  CHAIN_NOT_CONFIGURED: { status: 503, message: 'Deposits and withdrawals of this asset are not configured on this server' },
  ADDRESS_INVALID: { status: 400, message: 'This is not a valid address on the asset’s chain' },
  WITHDRAWAL_LIMIT_EXCEEDED: { status: 409, message: 'This withdrawal would pass your daily withdrawal limit for this asset' },
  WITHDRAWAL_NOT_FOUND: { status: 404, message: 'No such withdrawal' },
  // Marketplace
  LISTING_NOT_FOUND: { status: 404, message: 'No such listing' },
  ORDER_NOT_FOUND: { status: 404, message: 'No such order' },
  SELLER_REQUIRED: { status: 403, message: 'Open a storefront before listing anything' },
  LISTING_NOT_BUYABLE: { status: 409, message: 'This listing cannot be bought now' },
  LISTING_DUPLICATE: { status: 409, message: 'This token is already listed' },
  ORDER_STATE_CONFLICT: { status: 409, message: 'The order is not in a state that allows this' },
  REVIEW_NOT_ALLOWED: { status: 403, message: 'Only the buyer of a completed order may review it, once' },
  QUERY_TOO_COMPLEX: { status: 400, message: 'The query is too deep or too costly' },
  SUBSCRIPTION_LIMIT: { status: 429, message: 'Too many subscriptions on this connection; end one first' },
} as const satisfies Record<string, { readonly status: number; readonly message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export interface ErrorPayload {
  readonly code: ErrorCode;
  readonly message: string;
  /** Seconds to wait, on FLOOD_WAIT and DEPENDENCY_UNAVAILABLE. */
  readonly retryAfter?: number;
  /** The offending field, on VALIDATION_FAILED. */
  readonly field?: string;
}

export interface ErrorBody {
  readonly error: ErrorPayload;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value);
}
