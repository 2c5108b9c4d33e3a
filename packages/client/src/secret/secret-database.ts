/** The object stores of a device's secret-chat database: its keys and MLS state, and what it decrypted. */
export const SECRETS = 'secrets';
export const HISTORY = 'history';

/**
 * Opens (and creates or upgrades) a device's IndexedDB database. Keys and
 * history share it, so deleting the database forgets both at once. A
 * connection closes when someone deletes the database (sign-out), instead
 * of blocking the deletion.
 */
export function openSecretDatabase(name: string, indexedDb: IDBFactory): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    // Version 2 added the history store; a version-1 database keeps its keys.
    const request = indexedDb.open(name, 2);
    request.onupgradeneeded = () => {
      const database = request.result;
      if (!database.objectStoreNames.contains(SECRETS)) database.createObjectStore(SECRETS);
      if (!database.objectStoreNames.contains(HISTORY)) database.createObjectStore(HISTORY, { keyPath: ['chatId', 'seq'] });
    };
    request.onsuccess = () => {
      const database = request.result;
      database.onversionchange = () => database.close();
      resolve(database);
    };
    request.onerror = () => reject(request.error);
  });
}

/** Runs one request in its own transaction, resolved once the transaction completes (a write is durable before it is acknowledged). */
export async function runRequest<T>(
  database: Promise<IDBDatabase>,
  storeName: string,
  mode: IDBTransactionMode,
  act: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const transaction = (await database).transaction(storeName, mode);
  const request = act(transaction.objectStore(storeName));
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve(request.result);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}
