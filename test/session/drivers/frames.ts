import type { ServerFrame } from '@kaif/protocol';
import type { Inbox, ResumeTracker, SendOutcome } from './transport-driver.js';

/** Files a server frame (from /ws or /socket.io, the same frames) into the inbox and the resume point. */
export function recordFrame(frame: ServerFrame, inbox: Inbox, resume: ResumeTracker): void {
  switch (frame.type) {
    case 'message.new':
      resume.saw(frame.cursor, frame.chatId, frame.seq);
      inbox.push({ kind: 'message', chatId: frame.chatId, id: frame.data.id, senderId: frame.data.senderId, text: frame.data.text ?? '', seq: frame.seq });
      return;
    case 'typing':
      inbox.push({ kind: 'typing', chatId: frame.chatId, userId: frame.userId });
      return;
    case 'presence':
      inbox.push({ kind: 'presence', userId: frame.userId, status: frame.status });
      return;
    default:
      if ('cursor' in frame && typeof frame.cursor === 'string') resume.saw(frame.cursor);
  }
}

/** An `ack` or `error` frame answering a send, as an outcome. */
export function sendOutcome(frame: ServerFrame): SendOutcome {
  if (frame.type === 'ack') return { ok: true, messageId: frame.message.id };
  if (frame.type === 'error') return { ok: false, code: frame.error.code, ...(frame.error.retryAfter === undefined ? {} : { retryAfter: frame.error.retryAfter }) };
  throw new Error(`not an answer to a send: ${frame.type}`);
}

/** Replays from a cursor over a frame transport: message texts of `chatId` until `synced`. */
export function collectReplay(frames: readonly ServerFrame[], chatId: string): string[] | undefined {
  const synced = frames.findIndex((frame) => frame.type === 'synced');
  if (synced < 0) return undefined;
  return frames
    .slice(0, synced)
    .flatMap((frame) => (frame.type === 'message.new' && frame.chatId === chatId ? [frame.data.text ?? ''] : []));
}
