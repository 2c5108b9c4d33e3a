import { useEffect, useState } from 'react';
import { navigate } from '../../app/router.js';
import { useMessenger } from '../../app/session-context.js';
import type { KeyWait, SecretItem } from '../../state/secret-transcripts.js';
import { useStore } from '../../state/store.js';
import type { Chat } from '../../state/types.js';
import { ErrorNotice } from '../common/ErrorNotice.js';
import { Icon } from '../common/Icon.js';
import { Spinner } from '../common/Spinner.js';
import { clockTime } from '../common/time-format.js';
import { useShownError } from '../common/use-shown-error.js';
import { Composer, type ComposerMode } from './Composer.js';
import { SafetyNumbers } from './SafetyNumbers.js';

const NEW: ComposerMode = { kind: 'new' };
const NO_ITEMS: readonly SecretItem[] = [];
const NO_WAITS: readonly KeyWait[] = [];
/** How often a browser not yet welcomed into the chat asks again. */
const WELCOME_POLL_MS = 2000;

const REASONS: Readonly<Record<string, string>> = {
  undecryptable: 'this device has no key for it (sent before it joined or after it left) or it was altered',
  replayed: 'it is a repeat of a message already shown',
  'out-of-order': 'it arrived out of order',
  'forged-sender': 'it claims a sender that did not send it',
  removed: 'this device was removed from the chat',
  malformed: 'it is not a readable message',
};

/**
 * A secret chat: the messages this browser decrypted, a clear line for each
 * it could not (with the reason), "waiting for keys" while it is not in the
 * group yet, and the members' safety numbers to compare.
 */
export function SecretConversation({ chat }: { readonly chat: Chat }) {
  const messenger = useMessenger();
  const meId = useStore(messenger.state, (state) => state.me?.id);
  const users = useStore(messenger.state, (state) => state.users);
  const items = useStore(messenger.secret.state, (view) => view.items[chat.id]) ?? NO_ITEMS;
  const waits = useStore(messenger.secret.state, (view) => view.waiting[chat.id]) ?? NO_WAITS;
  const errors = useShownError();
  const [status, setStatus] = useState<'opening' | 'joined' | 'waiting'>('opening');
  const [verifying, setVerifying] = useState(false);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const open = async () => {
      const secret = await messenger.secretChats();
      // What this browser read here before is shown at once; the catch-up below adds what is new.
      await messenger.secret.restore(secret, chat.id);
      if (stopped) return;
      await secret.acceptWelcomes();
      if (stopped) return;
      if (await secret.isMember(chat.id)) {
        setStatus('joined');
        await secret.sync(chat.id);
      } else {
        setStatus('waiting');
        timer = setTimeout(() => void open().catch((error: unknown) => errors.show(error)), WELCOME_POLL_MS);
      }
    };
    open().catch((error: unknown) => errors.show(error));
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [chat.id, messenger, errors.show]);

  // What this browser has shown (or said it cannot show) counts as read.
  const lastSeq = items.reduce(
    (last, item) => Math.max(last, item.kind === 'message' ? item.message.seq : item.kind === 'refused' ? item.failure.seq : item.seq),
    0,
  );
  useEffect(() => {
    if (lastSeq > chat.readSeq) messenger.markRead(chat.id, lastSeq);
  }, [lastSeq, chat.id, chat.readSeq, messenger]);

  async function submit(text: string) {
    try {
      await (await messenger.secretChats()).send(chat.id, text);
    } catch (error) {
      errors.show(error);
    }
  }

  const name = (userId: string) => users[userId]?.displayName || users[userId]?.username || 'Someone';
  return (
    <section className="conversation conversation-secret" aria-label="Secret chat">
      <header className="pane-header">
        <button type="button" className="icon-button back-button" onClick={() => navigate({ name: 'chats' })} aria-label="Back to chats">
          <Icon name="back" />
        </button>
        <span className="secret-mark" title="End-to-end encrypted">
          <Icon name="lock" />
        </span>
        <div className="pane-title">
          <h2>Secret chat</h2>
          <p className="subtitle">end-to-end encrypted</p>
        </div>
        {status === 'joined' && (
          <button type="button" className="button button-quiet" onClick={() => setVerifying(!verifying)} aria-pressed={verifying}>
            Safety numbers
          </button>
        )}
      </header>
      {verifying && <SafetyNumbers chatId={chat.id} name={name} />}
      <div className="message-list" role="log" aria-live="polite" aria-label="Messages">
        {status === 'opening' && <Spinner label="Opening the secret chat" />}
        {status === 'waiting' && (
          <p className="secret-state" data-state="waiting-for-keys">
            Waiting for keys: a member has to add this device before it can read or send here.
          </p>
        )}
        {waits.map((wait) => (
          <p key={wait.deviceId} className="secret-state" data-state="waiting-for-keys">
            Waiting for keys: a device of {name(wait.userId)} has none left; it joins once it comes online.
          </p>
        ))}
        {status === 'joined' && items.length === 0 && <p className="empty-conversation">Only the members’ devices can read this chat. Say hello!</p>}
        {items.map((item) =>
          item.kind === 'keys-changed' ? (
            <p key={`keys-${item.seq}-${item.userId}`} className="secret-state" data-state="keys-changed" data-seq={item.seq}>
              The devices or keys of {name(item.userId)} changed: compare safety numbers again.
            </p>
          ) : item.kind === 'message' ? (
            <div key={item.message.messageId} className={`run${item.message.senderId === meId ? ' run-mine' : ''}`}>
              <div className="run-messages">
                {item.message.senderId !== meId && <div className="run-sender">{name(item.message.senderId)}</div>}
                <div className={`message${item.message.senderId === meId ? ' message-mine' : ''}`} data-seq={item.message.seq}>
                  <div className="bubble">
                    <span className="message-text">{item.message.text}</span>
                    <span className="message-meta">
                      <time dateTime={item.message.createdAt}>{clockTime(item.message.createdAt)}</time>
                    </span>
                  </div>
                </div>
              </div>
            </div>
          ) : (
            <div key={`refused-${item.failure.messageId}`} className="run">
              <div className="run-messages">
                <div className="message message-refused" data-seq={item.failure.seq} data-reason={item.failure.reason}>
                  <div className="bubble">
                    <span className="message-text">Cannot decrypt this message: {REASONS[item.failure.reason] ?? item.failure.reason}.</span>
                  </div>
                </div>
              </div>
            </div>
          ),
        )}
      </div>
      <ErrorNotice slot={errors} />
      {status === 'joined' ? (
        <Composer mode={NEW} onCancel={() => undefined} onSubmit={(text) => void submit(text)} onTyping={() => undefined} />
      ) : (
        <p className="composer-readonly">You can write once this device has joined.</p>
      )}
    </section>
  );
}
