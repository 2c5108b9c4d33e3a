import { useEffect } from 'react';
import { navigate } from '../../app/router.js';
import { useMessenger } from '../../app/session-context.js';
import type { MessengerState } from '../../state/chat-state.js';
import type { SearchHit } from '../../state/types.js';
import { Avatar } from '../common/Avatar.js';
import { listStamp } from '../common/time-format.js';
import { chatTitle } from './chat-title.js';
import { snippetParts } from './snippet-parts.js';
import { useMessageSearch } from './use-message-search.js';

/** The "Messages" part of the sidebar search: each result names its chat and sender, shows the words found, and opens the chat at it. */
export function MessageSearchResults({ query, state, onError }: { readonly query: string; readonly state: MessengerState; readonly onError: (error: unknown) => void }) {
  const messenger = useMessenger();
  const { hits, searching, more } = useMessageSearch(query);
  useEffect(() => {
    for (const hit of hits) messenger.ensureUser(hit.senderId);
  }, [hits, messenger]);

  async function open(hit: SearchHit) {
    try {
      await messenger.jumpTo(hit.chatId, hit.id, hit.seq);
      navigate({ name: 'chat', chatId: hit.chatId });
    } catch (error) {
      onError(error);
    }
  }

  function senderOf(hit: SearchHit): string {
    if (hit.senderId === state.me?.id) return 'You';
    const user = state.users[hit.senderId];
    return user?.displayName || user?.username || '…';
  }

  return (
    <>
      <h2 className="list-heading">Messages</h2>
      {hits.length === 0 && <p className="list-note">{searching ? 'Searching…' : 'No messages found.'}</p>}
      <ul className="chat-rows" aria-label="Messages found">
        {hits.map((hit) => {
          const chat = state.chats[hit.chatId];
          const title = chat ? chatTitle(chat, state) : 'Chat';
          return (
            <li key={hit.id}>
              <button type="button" className="chat-row search-hit" onClick={() => void open(hit)} data-message-id={hit.id}>
                <Avatar id={chat?.peerId ?? hit.chatId} name={title} size={40} />
                <span className="chat-row-body">
                  <span className="chat-row-top">
                    <span className="chat-row-title">{title}</span>
                    <time className="chat-row-time">{listStamp(hit.createdAt)}</time>
                  </span>
                  <span className="chat-row-preview">
                    <span className="search-hit-sender">{senderOf(hit)}: </span>
                    {snippetParts(hit.snippet, hit.highlights).map((part, index) =>
                      // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one snippet never reorder
                      part.found ? <mark key={index}>{part.text}</mark> : <span key={index}>{part.text}</span>,
                    )}
                  </span>
                </span>
              </button>
            </li>
          );
        })}
      </ul>
      {more && (
        <button type="button" className="list-more" onClick={more}>
          More messages
        </button>
      )}
    </>
  );
}
