import { SECRETS, openSecretDatabase, runRequest } from './secret-database.js';
import type { SecretStore } from './secret-store.js';

/**
 * A SecretStore in the browser's IndexedDB, one database per name (the web
 * client uses one per user and session). IndexedDB is origin-bound and not
 * readable by other sites; like the file store it is not encrypted at rest
 * beyond what the browser and disk do.
 */
export function indexedDbSecretStore(name: string, indexedDb: IDBFactory = globalThis.indexedDB): SecretStore {
  let opened: Promise<IDBDatabase> | undefined;
  const run = <T>(mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> => {
    opened ??= openSecretDatabase(name, indexedDb);
    return runRequest(opened, SECRETS, mode, act);
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
