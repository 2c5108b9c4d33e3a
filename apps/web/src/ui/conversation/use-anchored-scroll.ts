import { type RefObject, useCallback, useLayoutEffect, useRef } from 'react';

const AT_BOTTOM_PX = 48;

/**
 * Keeps the conversation still while it changes: if the reader was at the
 * bottom, new messages keep them there; if they were reading history, what
 * they see stays put when messages arrive below or older pages load above.
 * `firstKey` identifies the oldest item, so a prepend can be told apart.
 */
export function useAnchoredScroll(container: RefObject<HTMLElement | null>, contentVersion: unknown, firstKey: string | undefined) {
  const snapshot = useRef({ atBottom: true, fromBottom: 0, firstKey });

  const remember = useCallback(() => {
    const element = container.current;
    if (!element) return;
    const fromBottom = element.scrollHeight - element.scrollTop - element.clientHeight;
    snapshot.current = { atBottom: fromBottom <= AT_BOTTOM_PX, fromBottom, firstKey: snapshot.current.firstKey };
  }, [container]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: runs after every content change by design
  useLayoutEffect(() => {
    const element = container.current;
    if (!element) return;
    const before = snapshot.current;
    if (before.atBottom) element.scrollTop = element.scrollHeight;
    else if (before.firstKey !== firstKey) element.scrollTop = element.scrollHeight - element.clientHeight - before.fromBottom;
    snapshot.current = { ...before, firstKey };
    remember();
  }, [contentVersion, firstKey]);

  const scrollToBottom = useCallback(() => {
    const element = container.current;
    if (!element) return;
    element.scrollTop = element.scrollHeight;
    remember();
  }, [container, remember]);

  return { remember, scrollToBottom };
}
