import type { UserId } from '@kaif/protocol';
import type { Kysely } from 'kysely';
import type { Bus, Unsubscribe } from '../../platform/bus/bus.js';
import { isEventEnvelope } from '../../platform/outbox/outbox.js';
import { type SessionsRevokedEvent, sessionsRevokedSubject } from '../identity/api.js';
import type { KeysTables } from './keys-tables.js';

/**
 * A device lives as long as the session that registered it. When sessions
 * end (sign-out, revocation from another device, password change, a reused
 * refresh token), their devices leave the directory with their unclaimed
 * KeyPackages: nobody can add a signed-out — perhaps stolen — device to a
 * new secret chat, and its Welcomes are refused. Groups it is already in
 * must still remove it with a commit (the server cannot: it holds no key).
 *
 * Every worker process listens (the live subscription is at most once per
 * process; the delete is idempotent, so several processes doing it is
 * harmless). A named durable consumer would be exactly-once-ish, but it is
 * one per stream, shared by every deployment on that NATS — and its
 * events would be split among them.
 */
export function forgetEndedSessions(bus: Bus, db: Kysely<KeysTables>, onError: (error: Error) => void): Unsubscribe {
  return bus.subscribe(sessionsRevokedSubject('*' as UserId), (payload) => {
    if (!isEventEnvelope(payload)) return;
    const event = payload.body as Partial<SessionsRevokedEvent> | null;
    if (event?.type !== 'sessions.revoked' || typeof event.userId !== 'string') return;
    let query = db.deleteFrom('keys.devices').where('user_id', '=', event.userId);
    if (Array.isArray(event.sessionIds)) {
      if (event.sessionIds.length === 0) return;
      query = query.where('session_id', 'in', [...event.sessionIds]);
    }
    query.execute().catch(onError);
  });
}
