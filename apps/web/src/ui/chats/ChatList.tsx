import { useMemo, useState } from 'react';
import { navigate } from '../../app/router.js';
import { useMessenger } from '../../app/session-context.js';
import { sortChats } from '../../state/chat-state.js';
import { useStore } from '../../state/store.js';
import type { ChatId, UserId } from '../../state/types.js';
import { Avatar } from '../common/Avatar.js';
import { ErrorNotice } from '../common/ErrorNotice.js';
import { useShownError } from '../common/use-shown-error.js';
import { ChatListItem } from './ChatListItem.js';
import { MessageSearchResults } from './MessageSearchResults.js';
import { chatTitle } from './chat-title.js';
import { useUserSearch } from './use-user-search.js';

/** Chats by recent activity; the search box filters them, finds people to message and messages in every chat. */
export function ChatList({ activeChatId }: { readonly activeChatId: ChatId | null }) {
  const messenger = useMessenger();
  const state = useStore(messenger.state, (value) => value);
  const [query, setQuery] = useState('');
  const { users, searching } = useUserSearch(query);
  const errors = useShownError();
  const chats = useMemo(() => sortChats(state.chats), [state.chats]);
  const needle = query.trim().toLowerCase();
  const shown = needle ? chats.filter((chat) => chatTitle(chat, state).toLowerCase().includes(needle)) : chats;

  async function startDirect(userId: UserId) {
    try {
      const chat = await messenger.createChat('direct', undefined, [userId]);
      setQuery('');
      navigate({ name: 'chat', chatId: chat.id });
    } catch (error) {
      errors.show(error);
    }
  }

  return (
    <div className="chat-list">
      <div className="search">
        <label className="visually-hidden" htmlFor="chat-search">
          Search chats, people and messages
        </label>
        <input id="chat-search" type="search" placeholder="Search chats and people" value={query} onChange={(event) => setQuery(event.target.value)} />
      </div>
      <ErrorNotice slot={errors} />
      <nav aria-label="Chats" className="chat-list-scroll">
        {needle && <h2 className="list-heading">Chats</h2>}
        <ul className="chat-rows">
          {shown.map((chat) => (
            <ChatListItem key={chat.id} chat={chat} state={state} active={chat.id === activeChatId} />
          ))}
        </ul>
        {!needle && chats.length === 0 && (
          <div className="empty-list">
            <p>No chats yet.</p>
            <p>Search for someone by username to start a conversation.</p>
          </div>
        )}
        {needle && (
          <>
            <h2 className="list-heading">People</h2>
            {users.length === 0 && <p className="list-note">{searching ? 'Searching…' : 'Nobody found by that name.'}</p>}
            <ul className="chat-rows">
              {users.map((user) => (
                <li key={user.id}>
                  <button type="button" className="chat-row" onClick={() => void startDirect(user.id as UserId)} data-username={user.username}>
                    <Avatar id={user.id} name={user.displayName || user.username} size={40} />
                    <span className="chat-row-body">
                      <span className="chat-row-title">{user.displayName || user.username}</span>
                      <span className="chat-row-preview">@{user.username}</span>
                    </span>
                  </button>
                </li>
              ))}
            </ul>
            <MessageSearchResults query={query} state={state} onError={errors.show} />
          </>
        )}
      </nav>
    </div>
  );
}
