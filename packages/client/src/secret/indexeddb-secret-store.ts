import type { SecretStore } from './secret-store.js';

const STORE = 'secrets';

/**
 * A SecretStore in the browser's IndexedDB, one database per name (the web
 * client uses one per user). IndexedDB is origin-bound and not readable by
 * other sites; like the file store it is not encrypted at rest beyond what
 * the browser and disk do.
 */
export function indexedDbSecretStore(name: string, indexedDb: IDBFactory = globalThis.indexedDB): SecretStore {
  let opened: Promise<IDBDatabase> | undefined;
  const database = (): Promise<IDBDatabase> => {
    opened ??= new Promise((resolve, reject) => {
      const request = indexedDb.open(name, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return opened;
  };
  const run = async <T>(mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> => {
    const transaction = (await database()).transaction(STORE, mode);
    const request = act(transaction.objectStore(STORE));
    return new Promise((resolve, reject) => {
      // Resolved on the transaction's completion, so a write is durable before it is acknowledged.
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  };
  return {
    get: async (key) => (await run<unknown>('readonly', (store) => store.get(key))) as string | undefined,
    set: async (key, value) => {
      await run('readwrite', (store) => store.put(value, key));
    },
    delete: async (key) => {
      await run('readwrite', (store) => store.delete(key));
    },
  };
}
