import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SecretStore } from './secret/secret-store.js';

/**
 * A SecretStore in one JSON file, readable by its owner only (mode 0600),
 * replaced atomically on each write (write, then rename) so a crash leaves
 * the old state or the new, never half of one.
 */
export function fileSecretStore(path: string): SecretStore {
  let values: Record<string, string> | undefined;
  let writing: Promise<void> = Promise.resolve();
  const load = async (): Promise<Record<string, string>> => {
    if (values) return values;
    try {
      values = JSON.parse(await readFile(path, 'utf8')) as Record<string, string>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      values = {};
    }
    return values;
  };
  const save = (): Promise<void> => {
    writing = writing.then(async () => {
      await mkdir(dirname(path), { recursive: true });
      const partial = `${path}.${process.pid}.tmp`;
      await writeFile(partial, JSON.stringify(values), { mode: 0o600 });
      await rename(partial, path);
    });
    return writing;
  };
  return {
    get: async (key) => (await load())[key],
    set: async (key, value) => {
      (await load())[key] = value;
      await save();
    },
    delete: async (key) => {
      delete (await load())[key];
      await save();
    },
  };
}
