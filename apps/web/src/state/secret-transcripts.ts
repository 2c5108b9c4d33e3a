import type { SecretChats, SecretMessage, Undecryptable } from '@kaif/client';
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
 * What this browser decrypted in each secret chat, in seq order, since the
 * page loaded. MLS deletes each message key once used (forward secrecy), so
 * a message cannot be decrypted twice: a reload starts the transcript
 * afresh (keeping plaintext across reloads needs an encrypted local
 * history, not built yet).
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

  #add(chatId: string, item: SecretItem): void {
    const seqOf = (entry: SecretItem) => (entry.kind === 'message' ? entry.message.seq : entry.kind === 'refused' ? entry.failure.seq : entry.seq);
    this.state.update((view) => {
      const items = [...(view.items[chatId] ?? []), item].sort((a, b) => seqOf(a) - seqOf(b));
      return { ...view, items: { ...view.items, [chatId]: items } };
    });
  }
}
