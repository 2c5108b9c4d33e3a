import { useEffect, useState } from 'react';
import { useMessenger } from '../../app/session-context.js';

/** Tries before giving up on a path: a photo is processed and a video’s poster made by the server's worker a few seconds after the upload. */
const ATTEMPTS = 6;

/**
 * A media path as an object URL once fetched (with the token); null until
 * then, when `path` is null, or when it could not be had. A failed fetch is
 * tried again after 1 s, 2 s, 3 s … (a photo or poster not made yet answers 202).
 */
export function useMediaUrl(path: string | null | undefined): string | null {
  const messenger = useMessenger();
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!path) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const attempt = (tries: number) => {
      messenger
        .mediaUrl(path)
        .then((value) => live && setUrl(value))
        .catch(() => {
          if (live && tries + 1 < ATTEMPTS) timer = setTimeout(() => attempt(tries + 1), 1000 * (tries + 1));
        });
    };
    attempt(0);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [messenger, path]);
  return url;
}
