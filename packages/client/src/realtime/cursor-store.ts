/**
 * Where the client remembers its feed cursor, so a reconnect (or, with a
 * persistent store, a restart) syncs exactly what was missed.
 */
export interface CursorStore {
  load(): string | null | Promise<string | null>;
  save(cursor: string | null): void | Promise<void>;
}

export function memoryCursorStore(initial: string | null = null): CursorStore {
  let cursor = initial;
  return {
    load: () => cursor,
    save: (next) => {
      cursor = next;
    },
  };
}

/** Browser persistence; one key per account if several sign in on one device. */
export function localStorageCursorStore(key = 'kaif.cursor', storage: Storage = globalThis.localStorage): CursorStore {
  return {
    load: () => storage.getItem(key),
    save: (cursor) => (cursor === null ? storage.removeItem(key) : storage.setItem(key, cursor)),
  };
}
