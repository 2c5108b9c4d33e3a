import type { SecretChats, SecretMessage, Undecryptable } from '@kaif/client';
import { Store } from './store.js';

/** A line of a secret chat: a message this device decrypted, or one it refused and says why. */
export type SecretItem = { readonly kind: 'message'; readonly message: SecretMessage } | { readonly kind: 'refused'; readonly failure: Undecryptable };

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

  attach(chats: SecretChats): () => void {
    const stops = [
      chats.on('secret.message', (message) => this.#add(message.chatId, { kind: 'message', message })),
      chats.on('secret.undecryptable', (failure) => this.#add(failure.chatId, { kind: 'refused', failure })),
      chats.on('secret.waiting-for-keys', ({ chatId, userId, deviceId }) =>
        this.state.update((view) => ({ ...view, waiting: { ...view.waiting, [chatId]: [...(view.waiting[chatId] ?? []), { userId, deviceId }] } })),
      ),
    ];
    return () => {
      for (const stop of stops) stop();
    };
  }

  #add(chatId: string, item: SecretItem): void {
    const seqOf = (entry: SecretItem) => (entry.kind === 'message' ? entry.message.seq : entry.failure.seq);
    this.state.update((view) => {
      const items = [...(view.items[chatId] ?? []), item].sort((a, b) => seqOf(a) - seqOf(b));
      return { ...view, items: { ...view.items, [chatId]: items } };
    });
  }
}
