import type { MessageView } from '../../state/chat-state.js';
import type { Message } from '../../state/types.js';
import { Icon, type IconName } from '../common/Icon.js';
import { clockTime } from '../common/time-format.js';
import { decimalsOf } from '../../state/wallet-decimals.js';
import { TransferBubble } from '../wallet/TransferBubble.js';
import { MediaAttachment } from './MediaAttachment.js';

export interface MessageActions {
  readonly onReply: (message: Message) => void;
  readonly onEdit: (message: Message) => void;
  readonly onDelete: (message: Message) => void;
}

/** One message; mine show a delivery tick: sending, sent, read (peer marker ≥ seq). */
export function MessageBubble({
  message,
  mine,
  read,
  replyTo,
  replyAuthor,
  actions,
  canWrite,
  focused = false,
}: {
  readonly message: MessageView;
  readonly mine: boolean;
  readonly read: boolean;
  readonly replyTo: Message | undefined;
  readonly replyAuthor: string | undefined;
  readonly actions: MessageActions;
  readonly canWrite: boolean;
  /** Opened from search: marked for a moment. */
  readonly focused?: boolean;
}) {
  const sent = message.status === 'sent';
  const state = message.status === 'sent' ? (read ? 'read' : 'sent') : message.status;
  return (
    <div
      className={`message${mine ? ' message-mine' : ''}${message.deleted ? ' message-deleted' : ''}${focused ? ' message-focused' : ''}`}
      data-seq={sent ? message.seq : undefined}
      data-message-id={sent ? message.id : undefined}
      data-status={mine ? state : undefined}
    >
      <div className="bubble">
        {message.replyToId && (
          <div className="reply-quote">
            <strong>{replyAuthor ?? 'Reply'}</strong>
            <span>{replyTo ? (replyTo.deleted ? 'Message deleted' : replyTo.text) : 'Earlier message'}</span>
          </div>
        )}
        {!message.deleted && message.transfer && <TransferBubble transfer={message.transfer} mine={mine} decimalsOf={decimalsOf} />}
        {!message.deleted && message.media?.map((media) => <MediaAttachment key={media.id} media={media} />)}
        {(message.deleted || message.text) && <span className="message-text">{message.deleted ? 'Message deleted' : message.text}</span>}
        <span className="message-meta">
          {message.editedAt && !message.deleted && <span className="message-edited">edited</span>}
          <time dateTime={message.createdAt}>{clockTime(message.createdAt)}</time>
          {mine && <DeliveryTick state={state} />}
        </span>
      </div>
      {sent && !message.deleted && (
        <div className="message-actions">
          {canWrite && (
            <button type="button" className="icon-button" onClick={() => actions.onReply(message)} aria-label="Reply">
              <Icon name="reply" size={16} />
            </button>
          )}
          {mine && !message.transfer && (
            <>
              <button type="button" className="icon-button" onClick={() => actions.onEdit(message)} aria-label="Edit">
                <Icon name="edit" size={16} />
              </button>
              <button type="button" className="icon-button" onClick={() => actions.onDelete(message)} aria-label="Delete">
                <Icon name="trash" size={16} />
              </button>
            </>
          )}
        </div>
      )}
    </div>
  );
}

const TICKS: Readonly<Record<string, { readonly icon: IconName; readonly label: string }>> = {
  sending: { icon: 'clock', label: 'Sending' },
  sent: { icon: 'check', label: 'Sent' },
  read: { icon: 'checks', label: 'Read' },
  failed: { icon: 'alert', label: 'Not sent' },
};

function DeliveryTick({ state }: { readonly state: string }) {
  const tick = TICKS[state] ?? TICKS.sent!;
  return (
    <span className={`tick tick-${state}`} role="img" aria-label={tick.label} title={tick.label}>
      <Icon name={tick.icon} size={14} />
    </span>
  );
}
