import type { ErrorSlot } from './use-shown-error.js';

/** An error in words; a rate limit shows its live countdown, then disappears. */
export function ErrorNotice({ slot }: { readonly slot: ErrorSlot }) {
  const { error, secondsLeft } = slot;
  if (!error) return null;
  if (error.retryAfter !== undefined && error.code === 'FLOOD_WAIT' && secondsLeft === 0) return null;
  const text = error.code === 'FLOOD_WAIT' ? `${error.message} Try again in ${secondsLeft} s` : error.message;
  return (
    <p className="notice notice-error" role="alert" data-code={error.code}>
      {text}
    </p>
  );
}
