import { HISTORY, openSecretDatabase, runRequest } from './secret-database.js';
import type { SecretHistory, SecretHistoryEntry } from './secret-history.js';

/**
 * A SecretHistory in the browser's IndexedDB, in the same database as the
 * device's keys (`indexedDbSecretStore` with the same name), keyed by
 * [chatId, seq] so a chat's entries come back in seq order.
 */
export function indexedDbSecretHistory(name: string, indexedDb: IDBFactory = globalThis.indexedDB): SecretHistory {
  let opened: Promise<IDBDatabase> | undefined;
  const run = <T>(mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> => {
    opened ??= openSecretDatabase(name, indexedDb);
    return runRequest(opened, HISTORY, mode, act);
  };
  return {
    put: async (entry) => {
      await run('readwrite', (store) => store.put(entry));
    },
    list: (chatId) =>
      run('readonly', (store) => store.getAll(IDBKeyRange.bound([chatId, Number.NEGATIVE_INFINITY], [chatId, Number.POSITIVE_INFINITY]))) as Promise<
        SecretHistoryEntry[]
      >,
    clear: async () => {
      await run('readwrite', (store) => store.clear());
    },
  };
}
