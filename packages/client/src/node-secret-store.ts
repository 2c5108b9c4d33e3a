import { jsonFile } from './node-json-file.js';
import type { SecretStore } from './secret/secret-store.js';

/** A SecretStore in one JSON file (mode 0600, replaced atomically on each write). */
export function fileSecretStore(path: string): SecretStore {
  const file = jsonFile<string>(path);
  return {
    get: async (key) => (await file.load())[key],
    set: async (key, value) => {
      (await file.load())[key] = value;
      await file.save();
    },
    delete: async (key) => {
      delete (await file.load())[key];
      await file.save();
    },
  };
}
