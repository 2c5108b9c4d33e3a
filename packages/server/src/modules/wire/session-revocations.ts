import type { SessionId, UserId } from '@kaif/protocol';
import type { Bus, Unsubscribe } from '../../platform/bus/bus.js';
import { isEventEnvelope } from '../../platform/outbox/outbox.js';
import { type SessionsRevokedEvent, sessionsRevokedSubject } from '../identity/api.js';

export interface RevokedSessions {
  readonly userId: UserId;
  /** Null: every session of the user. */
  readonly sessionIds: readonly SessionId[] | null;
}

/** Calls `onRevoked` for every early end of sessions, on any node, as identity publishes them. */
export function followRevocations(bus: Bus, onRevoked: (revoked: RevokedSessions) => void): Unsubscribe {
  return bus.subscribe(sessionsRevokedSubject('*' as UserId), (payload) => {
    if (!isEventEnvelope(payload)) return;
    const event = payload.body as Partial<SessionsRevokedEvent> | null;
    if (event?.type !== 'sessions.revoked' || typeof event.userId !== 'string') return;
    onRevoked({ userId: event.userId, sessionIds: Array.isArray(event.sessionIds) ? event.sessionIds : null });
  });
}

export function covers(revoked: RevokedSessions, userId: UserId, sessionId: SessionId): boolean {
  return revoked.userId === userId && (revoked.sessionIds === null || revoked.sessionIds.includes(sessionId));
}
