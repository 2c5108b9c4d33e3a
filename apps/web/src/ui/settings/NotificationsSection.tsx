import { useEffect, useState } from 'react';
import { useSession } from '../../app/session-context.js';
import { type NotificationState, notificationState, turnOnNotifications } from '../../state/web-push.js';
import { ErrorNotice } from '../common/ErrorNotice.js';
import { Icon } from '../common/Icon.js';
import { useShownError } from '../common/use-shown-error.js';

const WORDS: Record<NotificationState, string> = {
  unsupported: 'This browser cannot show notifications from Kaif Lake.',
  off: 'Get a notification on this device when a message arrives while Kaif Lake is closed.',
  on: 'Notifications are on for this device. Muted chats stay quiet.',
  blocked: 'Notifications are blocked for this site. Allow them in the browser’s site settings, then turn them on here.',
};

/**
 * Push notifications for this device, and whether they show message text.
 * Permission is asked only when the user presses "Enable notifications",
 * never on load.
 */
export function NotificationsSection() {
  const session = useSession();
  const errors = useShownError();
  const [state, setState] = useState<NotificationState | null>(null);
  const [previews, setPreviews] = useState<boolean | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    notificationState().then(setState, errors.show);
    session.backend.pushPreviews().then(setPreviews, errors.show);
  }, [session, errors.show]);

  async function turnOn() {
    setBusy(true);
    try {
      setState(await turnOnNotifications(session.backend));
    } catch (error) {
      errors.show(error);
    } finally {
      setBusy(false);
    }
  }

  async function togglePreviews(next: boolean) {
    setPreviews(next);
    try {
      await session.backend.setPushPreviews(next);
    } catch (error) {
      setPreviews(!next);
      errors.show(error);
    }
  }

  return (
    <section className="card" aria-labelledby="notifications-title">
      <h3 id="notifications-title">Notifications</h3>
      {state !== null && <p className="card-lead">{WORDS[state]}</p>}
      <ErrorNotice slot={errors} />
      {state === 'off' && (
        <button type="button" className="button" disabled={busy} onClick={() => void turnOn()}>
          <Icon name="bell" size={18} /> Enable notifications
        </button>
      )}
      {previews !== null && (
        <label className="check-row">
          <input type="checkbox" checked={previews} onChange={(event) => void togglePreviews(event.target.checked)} />
          Show message text in notifications
        </label>
      )}
    </section>
  );
}
