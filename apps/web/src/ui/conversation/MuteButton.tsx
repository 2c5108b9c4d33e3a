import { useEffect, useState } from 'react';
import { useSession } from '../../app/session-context.js';
import type { ChatId } from '../../state/types.js';
import { Icon } from '../common/Icon.js';

/** Muting is "until I unmute": the server takes an instant, so a date far ahead. */
const FOR_GOOD = '9999-12-31T00:00:00.000Z';

/** The chat header's bell: mutes or unmutes this chat's notifications. */
export function MuteButton({ chatId, onError }: { readonly chatId: ChatId; readonly onError: (error: unknown) => void }) {
  const { backend } = useSession();
  const [mutedUntil, setMutedUntil] = useState<string | null | undefined>(undefined);

  useEffect(() => {
    backend.mutedUntil(chatId).then(setMutedUntil, onError);
  }, [backend, chatId, onError]);

  if (mutedUntil === undefined) return null;
  const muted = mutedUntil !== null;
  return (
    <button
      type="button"
      className="icon-button"
      aria-pressed={muted}
      aria-label={muted ? 'Unmute notifications' : 'Mute notifications'}
      title={muted ? 'Notifications muted' : 'Mute notifications'}
      onClick={() => backend.mute(chatId, muted ? null : FOR_GOOD).then(setMutedUntil, onError)}
    >
      <Icon name={muted ? 'bellOff' : 'bell'} />
    </button>
  );
}
