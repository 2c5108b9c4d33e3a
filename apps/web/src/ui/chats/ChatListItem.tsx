import { formatAmount } from '../../state/wallet-amounts.js';
import { decimalsOf } from '../../state/wallet-decimals.js';
import { navigate } from '../../app/router.js';
import type { MessengerState } from '../../state/chat-state.js';
import type { Chat, Message } from '../../state/types.js';
import { Avatar } from '../common/Avatar.js';
import { Icon } from '../common/Icon.js';
import { listStamp } from '../common/time-format.js';
import { chatTitle, isPeerOnline } from './chat-title.js';

export function ChatListItem({ chat, state, active }: { readonly chat: Chat; readonly state: MessengerState; readonly active: boolean }) {
  const title = chatTitle(chat, state);
  const last = chat.lastMessage;
  const sender = last && last.senderId === state.me?.id ? 'You: ' : last && chat.type === 'group' ? `${state.users[last.senderId]?.displayName ?? ''}: ` : '';
  const preview = !last
    ? chat.type === 'channel'
      ? 'Channel created'
      : 'No messages yet'
    : chat.type === 'secret'
      ? 'Encrypted message'
      : last.deleted
        ? 'Message deleted'
        : last.transfer
          ? `${sender}${formatAmount(last.transfer.amount, decimalsOf(last.transfer.asset))} ${last.transfer.asset}`
          : `${sender}${last.text || mediaWords(last)}`;
  const online = isPeerOnline(chat, state);
  return (
    <li>
      <a
        className="chat-row"
        href={`/chats/${chat.id}`}
        aria-current={active ? 'page' : undefined}
        data-chat-id={chat.id}
        onClick={(event) => {
          event.preventDefault();
          navigate({ name: 'chat', chatId: chat.id });
        }}
      >
        <Avatar id={chat.peerId ?? chat.id} name={title} size={46} online={online} />
        <span className="chat-row-body">
          <span className="chat-row-top">
            <span className="chat-row-title">
              {chat.type === 'secret' && (
                <span className="chat-kind chat-kind-secret" title="Secret chat: end-to-end encrypted">
                  <Icon name="lock" size={14} />
                  <span className="visually-hidden">Secret chat:</span>
                </span>
              )}
              {chat.type === 'channel' && (
                <span className="chat-kind" title="Channel">
                  #<span className="visually-hidden">Channel:</span>
                </span>
              )}
              {title}
            </span>
            {last && <time className="chat-row-time">{listStamp(last.createdAt)}</time>}
          </span>
          <span className="chat-row-bottom">
            <span className="chat-row-preview">{preview}</span>
            {chat.unreadCount > 0 && (
              <span className="badge">
                {chat.unreadCount > 99 ? '99+' : chat.unreadCount}
                <span className="visually-hidden"> unread</span>
              </span>
            )}
          </span>
        </span>
        {online && <span className="visually-hidden">online</span>}
      </a>
    </li>
  );
}

const MEDIA_WORDS = { image: 'Photo', video: 'Video', audio: 'Voice message', file: 'File' } as const;

/** A message without text, in the chat list: what it carries (a file by its name). */
function mediaWords(message: Message): string {
  const first = message.media?.[0];
  if (!first) return '';
  return first.kind === 'file' ? first.name : MEDIA_WORDS[first.kind];
}
