import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * A record of strings to values kept in one JSON file, readable by its
 * owner only (mode 0600), replaced atomically on each write (write, then
 * rename) so a crash leaves the old contents or the new, never half of one.
 */
export function jsonFile<T>(path: string): { load(): Promise<Record<string, T>>; save(): Promise<void> } {
  let values: Record<string, T> | undefined;
  let writing: Promise<void> = Promise.resolve();
  return {
    async load() {
      if (values) return values;
      try {
        values = JSON.parse(await readFile(path, 'utf8')) as Record<string, T>;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        values = {};
      }
      return values;
    },
    save() {
      writing = writing.then(async () => {
        await mkdir(dirname(path), { recursive: true });
        const partial = `${path}.${process.pid}.tmp`;
        await writeFile(partial, JSON.stringify(values), { mode: 0o600 });
        await rename(partial, path);
      });
      return writing;
    },
  };
}
