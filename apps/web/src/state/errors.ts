/** An error as the UI shows it: words, plus a wait for rate limits. */
export interface ShownError {
  readonly code: string;
  readonly message: string;
  /** Seconds until a retry can succeed (FLOOD_WAIT). */
  readonly retryAfter?: number;
}

const WORDS: Readonly<Record<string, string>> = {
  INVALID_CREDENTIALS: 'Wrong username or password.',
  TOTP_INVALID: 'That code is wrong or was already used. Check your authenticator app.',
  TOTP_REQUIRED: 'Enter the code from your authenticator app.',
  USERNAME_TAKEN: 'This username is taken. Try another one.',
  EMAIL_TAKEN: 'This email is already registered. Sign in instead.',
  ACCOUNT_DISABLED: 'This account is disabled.',
  TOKEN_INVALID: 'Your session has ended. Sign in again.',
  TOKEN_REUSED: 'Your session has ended. Sign in again.',
  UNAUTHORIZED: 'Your session has ended. Sign in again.',
  TWO_FACTOR_SETUP_REQUIRED: 'Start two-factor setup again.',
  SIGN_IN_STATE_INVALID: 'That sign-in was started elsewhere or took too long. Try again.',
  PROVIDER_SIGN_IN_FAILED: 'The provider did not sign you in. Try again.',
  SIGN_IN_CODE_INVALID: 'That sign-in has expired. Try again.',
  PROVIDER_NOT_FOUND: 'That sign-in option is no longer available.',
  EXTERNAL_IDENTITY_IN_USE: 'That account is already linked to another Kaif Lake account.',
  LAST_SIGN_IN_METHOD: 'This is your only way to sign in, so it cannot be removed.',
  CHAT_NOT_FOUND: 'This chat does not exist or you are not a member.',
  CHAT_WRITE_FORBIDDEN: 'Only admins can post in this chat.',
  CHAT_ADMIN_REQUIRED: 'Only the owner or an admin can do this.',
  MESSAGE_AUTHOR_REQUIRED: 'You can only edit your own messages.',
  USER_NOT_FOUND: 'No such user.',
  DEPENDENCY_UNAVAILABLE: 'The server is having trouble. Try again in a moment.',
  NOT_READY: 'The server is starting. Try again in a moment.',
  INTERNAL: 'Something went wrong on our side. Try again.',
  NETWORK: 'Cannot reach the server. Check your connection.',
  PAYLOAD_TOO_LARGE: 'This file is too large to send.',
  MEDIA_REJECTED: 'This file cannot be sent: it is damaged, too large to show, or not what its name says.',
  MEDIA_QUOTA_EXCEEDED: 'Your storage is full. Delete something first.',
  MEDIA_NOT_FOUND: 'This file is no longer available.',
  NETWORK_ERROR: 'Cannot reach the server. Check your connection.',
  INSUFFICIENT_FUNDS: 'You do not have that much. Check your balance.',
  AMOUNT_INVALID: 'Enter an amount above zero.',
  ASSET_NOT_ENABLED: 'This server does not hold that currency.',
  TRANSFER_TO_SELF: 'You cannot send money to yourself.',
};

/**
 * Turns anything thrown by the SDK into words. A `KaifApiError` carries
 * `code`, `message`, `retryAfter`; a failed fetch is a TypeError; anything
 * else gets a generic line rather than raw JSON or a stack.
 */
export function toShownError(error: unknown): ShownError {
  if (isCoded(error)) {
    const retryAfter = typeof error.retryAfter === 'number' ? error.retryAfter : undefined;
    if (error.code === 'FLOOD_WAIT') return { code: error.code, message: 'Too many attempts.', retryAfter: retryAfter ?? 30 };
    if (error.code === 'VALIDATION_FAILED') return { code: error.code, message: validationWords(error) };
    const words = WORDS[error.code];
    if (words) return { code: error.code, message: words, retryAfter };
    if (typeof error.status === 'number' && error.status >= 500) return { code: error.code, message: WORDS.INTERNAL! };
    return { code: error.code, message: sentence(error.message) };
  }
  if (error instanceof TypeError || (error instanceof Error && /network|fetch|offline/i.test(error.message))) {
    return { code: 'NETWORK', message: WORDS.NETWORK! };
  }
  return { code: 'UNKNOWN', message: 'Something went wrong. Try again.' };
}

interface Coded {
  readonly code: string;
  readonly message?: unknown;
  readonly status?: unknown;
  readonly retryAfter?: unknown;
  readonly field?: unknown;
}

function isCoded(error: unknown): error is Coded {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' && /^[A-Z_]+$/.test((error as { code: string }).code);
}

function validationWords(error: Coded): string {
  const field = typeof error.field === 'string' ? error.field.replace(/^\/?(body\/)?/, '') : '';
  if (/password/i.test(field)) return 'Choose a longer, less common password (at least 10 characters).';
  if (/username/i.test(field)) return 'Usernames start with a letter and use 3–32 letters, digits or _.';
  if (/email/i.test(field)) return 'Enter a valid email address.';
  if (/code|totp/i.test(field)) return 'Enter the 6-digit code.';
  return typeof error.message === 'string' && error.message ? sentence(error.message) : 'Check the form and try again.';
}

function sentence(text: unknown): string {
  if (typeof text !== 'string' || !text || text.startsWith('{')) return 'Something went wrong. Try again.';
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
