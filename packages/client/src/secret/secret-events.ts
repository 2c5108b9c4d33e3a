import type { GroupDevice } from './mls-codec.js';

/** A decrypted message of a secret chat, shown to the user. */
export interface SecretMessage {
  readonly chatId: string;
  readonly seq: number;
  readonly messageId: string;
  readonly senderId: string;
  readonly deviceId: string;
  readonly text: string;
  readonly mine: boolean;
  readonly createdAt: string;
}

/**
 * Why a message of the log could not be shown. Never a silent failure: the
 * chat shows "cannot decrypt" with the reason, and nothing else.
 * - `undecryptable`: MLS refused it (altered ciphertext, a key this device
 *   never had — sent before it joined or after it was removed — or a
 *   replay of a message whose key is already used up);
 * - `replayed`, `out-of-order`: it decrypted, but its sender's counter did
 *   not move forward (the server repeated or reordered messages);
 * - `forged-sender`: it names a device that is not the sending user's;
 * - `removed`: this device is no longer in the group.
 */
export type UndecryptableReason = 'undecryptable' | 'replayed' | 'out-of-order' | 'forged-sender' | 'removed' | 'malformed';

export interface Undecryptable {
  readonly chatId: string;
  readonly seq: number;
  readonly messageId: string;
  readonly senderId: string;
  readonly reason: UndecryptableReason;
  readonly detail: string;
}

export interface SecretChatEvents {
  'secret.message': (message: SecretMessage) => void;
  'secret.undecryptable': (failure: Undecryptable) => void;
  /** A commit changed who is in the group (or their keys): the chat shows it, and safety numbers may change. */
  'secret.members': (change: {
    readonly chatId: string;
    /** The seq of the commit. */
    readonly seq: number;
    readonly epoch: number;
    readonly devices: readonly GroupDevice[];
  }) => void;
  /** A device of a member has no KeyPackage left: it joins once it publishes more ("waiting for keys"). */
  'secret.waiting-for-keys': (wait: { readonly chatId: string; readonly userId: string; readonly deviceId: string }) => void;
}
