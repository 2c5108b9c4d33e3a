import { type RefObject, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useMessenger } from '../../app/session-context.js';
import { EMPTY_HISTORY } from '../../state/chat-state.js';
import { useStore } from '../../state/store.js';
import type { Chat } from '../../state/types.js';
import { Avatar } from '../common/Avatar.js';
import { Spinner } from '../common/Spinner.js';
import { dayLabel } from '../common/time-format.js';
import { type MessageActions, MessageBubble } from './MessageBubble.js';
import { buildTimeline } from './message-groups.js';
import { useAnchoredScroll } from './use-anchored-scroll.js';
import { useMarkRead } from './use-mark-read.js';

const LOAD_MORE_PX = 300;
/** How long a message opened from search stays marked. */
const FOCUS_MS = 2500;

/** The scrolling history: loads older pages near the top, stays anchored, marks what is seen as read. */
export function MessageList({ chat, actions, canWrite }: { readonly chat: Chat; readonly actions: MessageActions; readonly canWrite: boolean }) {
  const messenger = useMessenger();
  const history = useStore(messenger.state, (state) => state.histories[chat.id] ?? EMPTY_HISTORY);
  const users = useStore(messenger.state, (state) => state.users);
  const meId = useStore(messenger.state, (state) => state.me?.id);
  const container = useRef<HTMLDivElement>(null);
  const timeline = useMemo(() => buildTimeline(history.items), [history.items]);
  const byId = useMemo(() => new Map(history.items.map((item) => [item.id, item])), [history.items]);
  const { remember } = useAnchoredScroll(container, history.items, history.items[0]?.id);
  useMarkRead(container, chat.id, history.items);
  const focused = useFocusedMessage(container, chat.id, history.items, remember);

  function onScroll() {
    remember();
    const element = container.current;
    if (!element || history.loading) return;
    if (element.scrollTop < LOAD_MORE_PX && history.hasMore) void messenger.loadOlder(chat.id).catch(() => undefined);
    const fromBottom = element.scrollHeight - element.scrollTop - element.clientHeight;
    if (fromBottom < LOAD_MORE_PX && history.hasNewer) void messenger.loadNewer(chat.id).catch(() => undefined);
  }

  const showNames = chat.type !== 'direct';
  return (
    <div className="message-list" ref={container} onScroll={onScroll} role="log" aria-live="polite" aria-label="Messages">
      <div className="history-edge">
        {history.loading ? <Spinner label="Loading older messages" /> : !history.hasMore && history.items.length > 0 ? 'Beginning of the conversation' : null}
      </div>
      {history.loaded && history.items.length === 0 && <p className="empty-conversation">No messages here yet. Say hello!</p>}
      {timeline.map((entry) =>
        entry.kind === 'day' ? (
          <div key={entry.key} className="day-separator">
            <span>{dayLabel(entry.at)}</span>
          </div>
        ) : (
          <div key={entry.key} className={`run${entry.senderId === meId ? ' run-mine' : ''}`}>
            {showNames && entry.senderId !== meId && (
              <Avatar id={entry.senderId} name={users[entry.senderId]?.displayName ?? '?'} size={32} />
            )}
            <div className="run-messages">
              {showNames && entry.senderId !== meId && <div className="run-sender">{users[entry.senderId]?.displayName ?? users[entry.senderId]?.username ?? '…'}</div>}
              {entry.messages.map((message) => {
                const replyTo = message.replyToId ? byId.get(message.replyToId) : undefined;
                return (
                  <MessageBubble
                    key={message.clientMsgId || message.id}
                    message={message}
                    mine={message.senderId === meId}
                    read={message.seq <= chat.peerReadSeq}
                    replyTo={replyTo}
                    replyAuthor={replyTo ? (users[replyTo.senderId]?.displayName ?? undefined) : undefined}
                    actions={actions}
                    canWrite={canWrite}
                    focused={message.id === focused}
                  />
                );
              })}
            </div>
          </div>
        ),
      )}
    </div>
  );
}

/**
 * Brings the message opened from search into view (centred, after the
 * anchored scroll has placed the history) and marks it for a moment;
 * returns its id while marked.
 */
function useFocusedMessage(
  container: RefObject<HTMLDivElement | null>,
  chatId: string,
  items: readonly unknown[],
  remember: () => void,
): string | null {
  const messenger = useMessenger();
  const focus = useStore(messenger.state, (state) => state.focus);
  const [marked, setMarked] = useState<string | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the history changes too, until the message is there
  useLayoutEffect(() => {
    if (focus?.chatId !== chatId) return;
    const element = container.current?.querySelector(`[data-message-id="${CSS.escape(focus.messageId)}"]`);
    if (!element) return;
    element.scrollIntoView({ block: 'center' });
    remember();
    messenger.clearFocus();
    setMarked(focus.messageId);
  }, [focus, chatId, items]);
  useLayoutEffect(() => {
    if (!marked) return;
    const timer = setTimeout(() => setMarked(null), FOCUS_MS);
    return () => clearTimeout(timer);
  }, [marked]);
  return marked;
}
