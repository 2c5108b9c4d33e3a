import type { UndecryptableReason } from './secret-events.js';

/**
 * One line of a secret chat as this device read it: the plaintext it
 * decrypted (or sent), or the reason it refused the message. MLS uses each
 * message key once (forward secrecy), so a device that wants to show its
 * history again after a restart has to keep what it read, as Signal does.
 */
export interface SecretHistoryEntry {
  readonly chatId: string;
  readonly seq: number;
  readonly messageId: string;
  readonly senderId: string;
  readonly createdAt: string;
  /** The sending device; absent for a refusal (the device a refused message names cannot be trusted). */
  readonly deviceId?: string;
  readonly text?: string;
  readonly mine?: boolean;
  /** Set when the message was refused: it stays a refusal, never becomes text. */
  readonly refusal?: { readonly reason: UndecryptableReason; readonly detail: string };
}

/**
 * Where a device keeps the secret messages it decrypted, keyed by chat and
 * seq (writing one seq again replaces it). It never goes to the server:
 * memory in tests, a file in Node (`fileSecretHistory` from
 * `@kaif/client/node`), IndexedDB in a browser, beside the device's keys and
 * deleted with them.
 */
export interface SecretHistory {
  put(entry: SecretHistoryEntry): Promise<void>;
  /** The chat's entries in seq order. */
  list(chatId: string): Promise<SecretHistoryEntry[]>;
  /** Forgets every chat (sign-out of the device). */
  clear(): Promise<void>;
}

/** Forgets everything when the process ends: for tests and throwaway devices. */
export function memorySecretHistory(): SecretHistory {
  const entries = new Map<string, SecretHistoryEntry>();
  return {
    put: async (entry) => {
      entries.set(historyKey(entry), entry);
    },
    list: async (chatId) => inSeqOrder([...entries.values()].filter((entry) => entry.chatId === chatId)),
    clear: async () => {
      entries.clear();
    },
  };
}

export const historyKey = (entry: Pick<SecretHistoryEntry, 'chatId' | 'seq'>): string => `${entry.chatId}:${entry.seq}`;

export const inSeqOrder = (entries: SecretHistoryEntry[]): SecretHistoryEntry[] => entries.sort((a, b) => a.seq - b.seq);
