import type { ChatId, UserId } from '@kaif/protocol';
import type { RealtimeSession, SessionClient, SessionSink } from './api.js';
import { Session, type SessionDeps } from './session.js';

/**
 * This node's sessions, whatever transport carries them, and what they share:
 * one presence refresh for every connected user per heartbeat interval (so a
 * node serving only TCP keeps its users online too), and the typing throttle
 * and budget for connectionless callers.
 */
export class SessionHub {
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: SessionDeps) {}

  open(sink: SessionSink, client: SessionClient): RealtimeSession {
    return new Session(this.deps, sink, client);
  }

  announceTyping(userId: UserId, chatId: ChatId): Promise<boolean> {
    return this.deps.typing.announce(userId, chatId);
  }

  async chargeUser(userId: UserId, points = 1): Promise<void> {
    await this.deps.flood.consumeUser(userId, points);
  }

  /** Keeps the presence of every user with a session here alive, one timer per node. */
  start(): void {
    this.refreshTimer ??= setInterval(() => {
      this.deps.presence
        .refresh(this.deps.users.connectedUsers())
        .catch((error: unknown) => this.deps.logger.warn({ err: (error as Error).message }, 'presence refresh failed'));
    }, this.deps.options.heartbeatMs);
    this.refreshTimer.unref();
  }

  stop(): void {
    clearInterval(this.refreshTimer);
    this.refreshTimer = undefined;
  }
}
