import { type RefObject, useEffect, useRef } from 'react';
import { useMessenger } from '../../app/session-context.js';
import type { ChatId } from '../../state/types.js';

/**
 * Marks messages read once they are actually on screen while the page is
 * visible (not merely loaded), by watching each `[data-seq]` element. The
 * caller keys the conversation by chat, so `seen` starts at 0 per chat.
 */
export function useMarkRead(container: RefObject<HTMLElement | null>, chatId: ChatId, version: unknown) {
  const messenger = useMessenger();
  const seen = useRef(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: re-observes when the rendered messages change
  useEffect(() => {
    const root = container.current;
    if (!root) return;
    const flush = () => {
      if (document.visibilityState === 'visible' && seen.current > 0) messenger.markRead(chatId, seen.current);
    };
    const observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          const seq = Number((entry.target as HTMLElement).dataset.seq);
          if (entry.isIntersecting && Number.isSafeInteger(seq) && seq > seen.current) seen.current = seq;
        }
        flush();
      },
      { root, threshold: 0.6 },
    );
    for (const element of root.querySelectorAll('[data-seq]')) observer.observe(element);
    document.addEventListener('visibilitychange', flush);
    return () => {
      observer.disconnect();
      document.removeEventListener('visibilitychange', flush);
    };
  }, [container, chatId, messenger, version]);
}
