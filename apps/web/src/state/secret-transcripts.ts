import type { SecretChats, SecretHistoryEntry, SecretMessage, Undecryptable } from '@kaif/client';
import { Store } from './store.js';

/**
 * A line of a secret chat: a message this device decrypted, one it refused
 * (and why), or a member whose devices or keys changed (their safety number
 * changed with them).
 */
export type SecretItem =
  | { readonly kind: 'message'; readonly message: SecretMessage }
  | { readonly kind: 'refused'; readonly failure: Undecryptable }
  | { readonly kind: 'keys-changed'; readonly seq: number; readonly userId: string };

/** Devices of members that have no KeyPackage left: they join once they publish more. */
export type KeyWait = { readonly userId: string; readonly deviceId: string };

export interface SecretView {
  readonly items: Readonly<Record<string, readonly SecretItem[]>>;
  readonly waiting: Readonly<Record<string, readonly KeyWait[]>>;
}

/**
 * What this browser decrypted in each secret chat, in seq order. MLS
 * deletes each message key once used (forward secrecy), so a message cannot
 * be decrypted twice: after a reload the transcript comes back from the
 * SDK's local history (IndexedDB beside the device's keys, never on the
 * server), as Signal Desktop keeps its messages.
 */
export class SecretTranscripts {
  readonly state = new Store<SecretView>({ items: {}, waiting: {} });
  /** Per chat, each member's signature keys as last seen: what a change is measured against. */
  readonly #keys = new Map<string, Map<string, string>>();

  attach(chats: SecretChats): () => void {
    const stops = [
      chats.on('secret.message', (message) => this.#add(message.chatId, { kind: 'message', message })),
      chats.on('secret.undecryptable', (failure) => this.#add(failure.chatId, { kind: 'refused', failure })),
      chats.on('secret.members', ({ chatId, seq, devices }) => {
        const now = new Map<string, string>();
        for (const userId of new Set(devices.map((device) => device.userId))) {
          const mine = devices.filter((device) => device.userId === userId);
          now.set(userId, mine.map((device) => btoa(String.fromCharCode(...device.signaturePublicKey))).sort().join(','));
        }
        const before = this.#keys.get(chatId);
        this.#keys.set(chatId, now);
        if (!before) return;
        for (const [userId, keys] of now) if (before.has(userId) && before.get(userId) !== keys) this.#add(chatId, { kind: 'keys-changed', seq, userId });
      }),
      chats.on('secret.waiting-for-keys', ({ chatId, userId, deviceId }) =>
        this.state.update((view) => ({ ...view, waiting: { ...view.waiting, [chatId]: [...(view.waiting[chatId] ?? []), { userId, deviceId }] } })),
      ),
    ];
    return () => {
      for (const stop of stops) stop();
    };
  }

  /** Forgets every transcript held in memory (sign-out: the next user of this tab sees none of it). */
  clear(): void {
    this.#keys.clear();
    this.state.update(() => ({ items: {}, waiting: {} }));
  }

  /** Shows at once what this device read in the chat before (a refusal stays a refusal). */
  async restore(chats: SecretChats, chatId: string): Promise<void> {
    for (const entry of await chats.history(chatId)) this.#add(chatId, itemOf(entry));
  }

  /** Adds a line, or replaces the one for the same message (the history and a catch-up may both bring it). */
  #add(chatId: string, item: SecretItem): void {
    this.state.update((view) => {
      const others = (view.items[chatId] ?? []).filter((entry) => identityOf(entry) !== identityOf(item));
      const items = [...others, item].sort((a, b) => seqOf(a) - seqOf(b));
      return { ...view, items: { ...view.items, [chatId]: items } };
    });
  }
}

const seqOf = (entry: SecretItem) => (entry.kind === 'message' ? entry.message.seq : entry.kind === 'refused' ? entry.failure.seq : entry.seq);

// A message of the log is one line whether it was shown or refused; a key change is one per member.
const identityOf = (entry: SecretItem) => (entry.kind === 'keys-changed' ? `keys:${entry.seq}:${entry.userId}` : `seq:${seqOf(entry)}`);

function itemOf(entry: SecretHistoryEntry): SecretItem {
  const { chatId, seq, messageId, senderId, createdAt } = entry;
  if (entry.refusal) return { kind: 'refused', failure: { chatId, seq, messageId, senderId, ...entry.refusal } };
  const message = { chatId, seq, messageId, senderId, createdAt, deviceId: entry.deviceId ?? '', text: entry.text ?? '', mine: entry.mine ?? false };
  return { kind: 'message', message };
}
