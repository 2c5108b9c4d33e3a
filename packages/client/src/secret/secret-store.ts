/**
 * Where a device keeps its secret-chat private state: its signature key,
 * the private halves of its KeyPackages and each group's MLS state. None of
 * it ever leaves the device. Values are opaque strings (JSON the SDK
 * writes); an implementation only has to keep them, durably if the device
 * should survive a restart: memory in tests, a file in Node
 * (`fileSecretStore` from `@kaif/client/node`), IndexedDB in a browser.
 */
export interface SecretStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Forgets everything when the process ends: for tests and throwaway devices. */
export function memorySecretStore(): SecretStore {
  const values = new Map<string, string>();
  return {
    get: async (key) => values.get(key),
    set: async (key, value) => {
      values.set(key, value);
    },
    delete: async (key) => {
      values.delete(key);
    },
  };
}
