import type { UserId } from '@kaif/protocol';
import type { IdentityApi } from '../identity/api.js';
import type { MessagingApi } from '../messaging/api.js';

/**
 * Whether `viewer` may see `subject`'s presence, by the subject's privacy
 * setting: everybody signed in, contacts (a shared direct chat or group), or
 * nobody. Everyone sees their own.
 */
export async function maySeePresence(
  identity: Pick<IdentityApi, 'presenceVisibilityOf'>,
  messaging: Pick<MessagingApi, 'sharesChat'>,
  viewer: UserId,
  subject: UserId,
): Promise<boolean> {
  if (viewer === subject) return true;
  switch (await identity.presenceVisibilityOf(subject)) {
    case 'everybody':
      return true;
    case 'contacts':
      return messaging.sharesChat(viewer, subject);
    case 'nobody':
      return false;
  }
}
