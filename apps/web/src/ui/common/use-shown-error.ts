import { useCallback, useEffect, useState } from 'react';
import { type ShownError, toShownError } from '../../state/errors.js';

export interface ErrorSlot {
  readonly error: ShownError | null;
  /** Seconds left before a rate-limited action may be retried; 0 when free. */
  readonly secondsLeft: number;
  readonly show: (error: unknown) => void;
  readonly clear: () => void;
}

/** Holds the last error of a form and counts a FLOOD_WAIT down live. */
export function useShownError(): ErrorSlot {
  const [error, setError] = useState<ShownError | null>(null);
  const [until, setUntil] = useState(0);
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    if (until <= now) return;
    const timer = setTimeout(() => setNow(Date.now()), 250);
    return () => clearTimeout(timer);
  }, [until, now]);

  const show = useCallback((cause: unknown) => {
    const shown = toShownError(cause);
    setError(shown);
    const start = Date.now();
    setNow(start);
    setUntil(shown.retryAfter ? start + shown.retryAfter * 1000 : 0);
  }, []);
  const clear = useCallback(() => {
    setError(null);
    setUntil(0);
  }, []);

  return { error, secondsLeft: Math.max(0, Math.ceil((until - now) / 1000)), show, clear };
}
