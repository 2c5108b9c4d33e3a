import { type FormEvent, useEffect, useRef, useState } from 'react';
import { navigate } from '../../app/router.js';
import { useMessenger } from '../../app/session-context.js';
import type { User, UserId } from '../../state/types.js';
import { Avatar } from '../common/Avatar.js';
import { ErrorNotice } from '../common/ErrorNotice.js';
import { Field } from '../common/Field.js';
import { useShownError } from '../common/use-shown-error.js';
import { useUserSearch } from './use-user-search.js';

const KINDS = { group: 'Group', channel: 'Channel', secret: 'Secret chat' } as const;
const LEADS = {
  group: 'Everyone in a group can write.',
  channel: 'Only admins post in a channel; members read.',
  secret: 'End-to-end encrypted: only the members’ devices can read it, not the server. It has no title the server could read.',
} as const;

/** Creates a group, a channel (both with a title) or a secret chat with the people picked by username. */
export function NewChatDialog({ onClose }: { readonly onClose: () => void }) {
  const messenger = useMessenger();
  const dialog = useRef<HTMLDialogElement>(null);
  const errors = useShownError();
  const [type, setType] = useState<keyof typeof KINDS>('group');
  const [title, setTitle] = useState('');
  const [query, setQuery] = useState('');
  const [picked, setPicked] = useState<readonly User[]>([]);
  const [busy, setBusy] = useState(false);
  const { users } = useUserSearch(query);

  useEffect(() => {
    dialog.current?.showModal();
  }, []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    try {
      const memberIds = picked.map((user) => user.id as UserId);
      const chat = type === 'secret' ? await messenger.createSecretChat(memberIds) : await messenger.createChat(type, title.trim(), memberIds);
      onClose();
      navigate({ name: 'chat', chatId: chat.id });
    } catch (error) {
      errors.show(error);
      setBusy(false);
    }
  }

  return (
    <dialog ref={dialog} className="dialog" onClose={onClose} aria-labelledby="new-chat-title">
      <form className="form" onSubmit={submit}>
        <h2 id="new-chat-title">New {KINDS[type].toLowerCase()}</h2>
        <div className="segmented">
          {(['group', 'channel', 'secret'] as const).map((kind) => (
            <button key={kind} type="button" aria-pressed={type === kind} onClick={() => setType(kind)}>
              {KINDS[kind]}
            </button>
          ))}
        </div>
        <p className="form-lead">{LEADS[type]}</p>
        {type !== 'secret' && (
          <Field label="Title" name="title" value={title} onChange={(event) => setTitle(event.target.value)} required maxLength={128} autoFocus />
        )}
        <Field label="Add members" name="member-search" type="search" placeholder="Username" value={query} onChange={(event) => setQuery(event.target.value)} />
        {picked.length > 0 && (
          <ul className="chips" aria-label="Members to add">
            {picked.map((user) => (
              <li key={user.id}>
                <button type="button" className="chip" onClick={() => setPicked(picked.filter((other) => other.id !== user.id))} aria-label={`Remove ${user.username}`}>
                  {user.displayName || user.username} ×
                </button>
              </li>
            ))}
          </ul>
        )}
        <ul className="pick-list">
          {users
            .filter((user) => !picked.some((other) => other.id === user.id))
            .map((user) => (
              <li key={user.id}>
                <button
                  type="button"
                  className="pick-row"
                  onClick={() => {
                    setPicked([...picked, user]);
                    setQuery('');
                  }}
                >
                  <Avatar id={user.id} name={user.displayName || user.username} size={32} />
                  <span>{user.displayName || user.username}</span>
                  <small>@{user.username}</small>
                </button>
              </li>
            ))}
        </ul>
        <ErrorNotice slot={errors} />
        <div className="form-actions">
          <button type="button" className="button button-quiet" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy || (type === 'secret' ? picked.length === 0 : !title.trim())}>
            Create {KINDS[type].toLowerCase()}
          </button>
        </div>
      </form>
    </dialog>
  );
}
