import { jsonFile } from './node-json-file.js';
import { type SecretHistory, type SecretHistoryEntry, historyKey, inSeqOrder } from './secret/secret-history.js';

/** A SecretHistory in one JSON file beside the device's keys (mode 0600, replaced atomically on each write). */
export function fileSecretHistory(path: string): SecretHistory {
  const file = jsonFile<SecretHistoryEntry>(path);
  return {
    put: async (entry) => {
      (await file.load())[historyKey(entry)] = entry;
      await file.save();
    },
    list: async (chatId) => inSeqOrder(Object.values(await file.load()).filter((entry) => entry.chatId === chatId)),
    clear: async () => {
      const values = await file.load();
      for (const key of Object.keys(values)) delete values[key];
      await file.save();
    },
  };
}
