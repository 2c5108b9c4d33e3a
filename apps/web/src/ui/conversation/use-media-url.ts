import { useEffect, useState } from 'react';
import { useMessenger } from '../../app/session-context.js';

/** A media path as an object URL once fetched (with the token); null until then or when `path` is null. */
export function useMediaUrl(path: string | null | undefined): string | null {
  const messenger = useMessenger();
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!path) return;
    let live = true;
    messenger
      .mediaUrl(path)
      .then((value) => live && setUrl(value))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [messenger, path]);
  return url;
}
