import type { MessageView } from '../../state/chat-state.js';
import { dayKey } from '../common/time-format.js';

export type TimelineEntry =
  | { readonly kind: 'day'; readonly key: string; readonly at: string }
  | { readonly kind: 'run'; readonly key: string; readonly senderId: string; readonly messages: readonly MessageView[] };

/** Messages further apart than this start a new run even from the same sender. */
const RUN_GAP_MS = 5 * 60_000;

/**
 * Splits a conversation into day separators and runs of consecutive
 * messages from one sender, the way messengers draw one name and avatar per
 * run. Keys derive from the first message, so prepending history keeps the
 * keys (and DOM nodes) of what is already on screen.
 */
export function buildTimeline(messages: readonly MessageView[]): readonly TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  let run: MessageView[] = [];
  let previous: MessageView | undefined;
  const flush = () => {
    const first = run[0];
    if (first) entries.push({ kind: 'run', key: `run:${first.clientMsgId || first.id}`, senderId: first.senderId, messages: run });
    run = [];
  };
  for (const message of messages) {
    const newDay = !previous || dayKey(previous.createdAt) !== dayKey(message.createdAt);
    if (newDay) {
      flush();
      entries.push({ kind: 'day', key: `day:${dayKey(message.createdAt)}`, at: message.createdAt });
    } else if (previous && (previous.senderId !== message.senderId || Date.parse(message.createdAt) - Date.parse(previous.createdAt) > RUN_GAP_MS)) {
      flush();
    }
    run.push(message);
    previous = message;
  }
  flush();
  return entries;
}
