import { useEffect, useState } from 'react';
import { navigate } from '../../app/router.js';
import { useMessenger } from '../../app/session-context.js';
import { typingUsers } from '../../state/chat-state.js';
import { useStore } from '../../state/store.js';
import type { ChatId, Message } from '../../state/types.js';
import { Avatar } from '../common/Avatar.js';
import { ErrorNotice } from '../common/ErrorNotice.js';
import { Icon } from '../common/Icon.js';
import { Spinner } from '../common/Spinner.js';
import { useShownError } from '../common/use-shown-error.js';
import { chatTitle, isPeerOnline } from '../chats/chat-title.js';
import { Composer, type ComposerMode } from './Composer.js';
import { MessageList } from './MessageList.js';
import { SendMoneyDialog } from '../wallet/SendMoneyDialog.js';
import { MuteButton } from './MuteButton.js';
import { SecretConversation } from './SecretConversation.js';
import { typingWords } from './typing-words.js';

const NEW: ComposerMode = { kind: 'new' };

/** One chat: header, history and the message box. Keyed by chat id by its parent. */
export function Conversation({ chatId }: { readonly chatId: ChatId }) {
  const messenger = useMessenger();
  const state = useStore(messenger.state, (value) => value);
  const chat = state.chats[chatId];
  const errors = useShownError();
  const [mode, setMode] = useState<ComposerMode>(NEW);
  const [now, setNow] = useState(() => Date.now());
  const [dragging, setDragging] = useState(false);
  const [sendingMoney, setSendingMoney] = useState(false);
  const [upload, setUpload] = useState<{ readonly name: string; readonly sent: number; readonly cancel: () => void } | null>(null);

  useEffect(() => {
    messenger.openChat(chatId).catch((error: unknown) => errors.show(error));
  }, [chatId, messenger, errors.show]);

  const typists = typingUsers(state, chatId, now);
  useEffect(() => {
    if (typists.length === 0) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [typists.length]);

  if (!chat) {
    return (
      <section className="conversation conversation-missing">
        <ErrorNotice slot={errors} />
        {!errors.error && <Spinner label="Loading chat" />}
      </section>
    );
  }

  if (chat.type === 'secret') return <SecretConversation chat={chat} />;
  const title = chatTitle(chat, state);
  const canWrite = chat.type !== 'channel' || chat.role === 'owner' || chat.role === 'admin';
  const typing = typingWords(typists.map((id) => state.users[id]?.displayName || state.users[id]?.username || 'Someone'));
  const subtitle = typing || (chat.type === 'direct' ? (isPeerOnline(chat, state) ? 'online' : 'last seen recently') : chat.type === 'channel' ? 'channel' : 'group');
  const authorOf = (message: Message) => (message.senderId === state.me?.id ? 'yourself' : state.users[message.senderId]?.displayName || 'message');

  async function submit(text: string) {
    const current = mode;
    setMode(NEW);
    try {
      if (current.kind === 'edit') await messenger.edit(chatId, current.message.id, text);
      else await messenger.send(chatId, text, current.kind === 'reply' ? current.to.id : null);
    } catch (error) {
      errors.show(error);
    }
  }

  async function attach(file: File, caption: string) {
    const current = mode;
    setMode(NEW);
    const controller = new AbortController();
    setUpload({ name: file.name, sent: 0, cancel: () => controller.abort() });
    try {
      const media = await messenger.upload(file, (sent) => setUpload((shown) => shown && { ...shown, sent }), controller.signal);
      await messenger.send(chatId, caption, current.kind === 'reply' ? current.to.id : null, [media]);
    } catch (error) {
      if ((error as Error).name !== 'AbortError') errors.show(error);
    } finally {
      setUpload(null);
    }
  }

  return (
    <section
      className={dragging ? 'conversation conversation-drop' : 'conversation'}
      aria-label={`Chat with ${title}`}
      onDragOver={(event) => {
        if (!canWrite || !event.dataTransfer.types.includes('Files')) return;
        event.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={(event) => {
        setDragging(false);
        const file = event.dataTransfer.files[0];
        if (!canWrite || !file) return;
        event.preventDefault();
        void attach(file, '');
      }}
    >
      <header className="pane-header">
        <button type="button" className="icon-button back-button" onClick={() => navigate({ name: 'chats' })} aria-label="Back to chats">
          <Icon name="back" />
        </button>
        <Avatar id={chat.peerId ?? chat.id} name={title} size={38} online={isPeerOnline(chat, state)} />
        <div className="pane-title">
          <h2>{title}</h2>
          <p className={typing ? 'subtitle subtitle-typing' : 'subtitle'}>{subtitle}</p>
        </div>
        {chat.type === 'direct' && chat.peerId && (
          <button type="button" className="icon-button" onClick={() => setSendingMoney(true)} aria-label="Send money">
            <Icon name="coin" />
          </button>
        )}
        <MuteButton chatId={chatId} onError={errors.show} />
      </header>
      {sendingMoney && chat.peerId && <SendMoneyDialog chatId={chatId} toUserId={chat.peerId} toName={title} onClose={() => setSendingMoney(false)} />}
      <MessageList
        chat={chat}
        canWrite={canWrite}
        actions={{
          onReply: (message) => setMode({ kind: 'reply', to: message, author: authorOf(message) }),
          onEdit: (message) => setMode({ kind: 'edit', message }),
          onDelete: (message) => {
            if (confirm('Delete this message for everyone?')) messenger.remove(chatId, message.id).catch((error: unknown) => errors.show(error));
          },
        }}
      />
      <div className="typing-line" aria-live="polite" data-testid="typing">
        {typing}
      </div>
      <ErrorNotice slot={errors} />
      {upload && (
        <div className="upload-progress" role="status" aria-label={`Uploading ${upload.name}`}>
          <span className="upload-name">{upload.name}</span>
          <progress max={1} value={upload.sent} aria-label="Upload progress" />
          <button type="button" className="icon-button" aria-label="Cancel upload" onClick={upload.cancel}>
            <Icon name="close" size={16} />
          </button>
        </div>
      )}
      {canWrite ? (
        <Composer
          mode={mode}
          onCancel={() => setMode(NEW)}
          onSubmit={(text) => void submit(text)}
          onTyping={() => messenger.typing(chatId)}
          onAttach={(file, caption) => void attach(file, caption)}
        />
      ) : (
        <p className="composer-readonly">Only admins can post in this channel.</p>
      )}
    </section>
  );
}
