import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = 'v1';

export interface SecretKey {
  readonly id: string;
  readonly key: Buffer;
}

/** One value sealed in the database, with the associated data it was sealed with: what the start-up check tries to open. */
export interface SealedSample {
  readonly sealed: string;
  readonly associatedData: string;
}

/** The key ids a box cannot open samples of: absent from it, or present with other key material. */
export interface UnopenableKeys {
  readonly missing: readonly string[];
  readonly different: readonly string[];
}

/**
 * Encrypts secrets at rest (TOTP seeds, signing keys, wallet keys) with
 * AES-256-GCM. Each ciphertext names the key id it was sealed with, so keys
 * rotate by adding a new current key in front: old ciphertexts still open,
 * new ones use the new key. The associated data (a row id) binds a
 * ciphertext to its row, so it cannot be copied onto another.
 */
export class SecretBox {
  private readonly byId: ReadonlyMap<string, Buffer>;
  readonly currentKeyId: string;

  constructor(keys: readonly SecretKey[]) {
    const [current] = keys;
    if (!current) throw new Error('SecretBox needs at least one key');
    this.currentKeyId = current.id;
    this.byId = new Map(keys.map((key) => [key.id, key.key]));
  }

  seal(plaintext: string, associatedData: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.byId.get(this.currentKeyId)!, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [FORMAT, this.currentKeyId, iv.toString('base64url'), body.toString('base64url')].join('.');
  }

  /** Throws when the key is unknown or the ciphertext or its binding was altered. */
  open(sealed: string, associatedData: string): string {
    const [format, keyId, ivText, bodyText] = sealed.split('.');
    if (format !== FORMAT || !keyId || !ivText || !bodyText) throw new Error('not a sealed secret');
    const key = this.byId.get(keyId);
    if (!key) throw new Error(`sealed with unknown key id ${keyId}`);
    const body = Buffer.from(bodyText, 'base64url');
    const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(ivText, 'base64url'), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  }

  /**
   * Which samples' key ids this box cannot open, in the order given: a key
   * id it lacks, or one it holds under the same name with other key material
   * (a second node given a freshly generated `k1:`, say). One sample per key
   * id is enough: GCM's tag fails for every value sealed with another key.
   */
  unopenable(samples: Iterable<SealedSample>): UnopenableKeys {
    const missing = new Set<string>();
    const different = new Set<string>();
    for (const { sealed, associatedData } of samples) {
      const keyId = sealed.split('.')[1] ?? '';
      if (missing.has(keyId) || different.has(keyId)) continue;
      if (!this.byId.has(keyId)) missing.add(keyId);
      else if (!this.opens(sealed, associatedData)) different.add(keyId);
    }
    return { missing: [...missing], different: [...different] };
  }

  private opens(sealed: string, associatedData: string): boolean {
    try {
      this.open(sealed, associatedData);
      return true;
    } catch {
      return false;
    }
  }

  /** True when the value was sealed with an older key and should be resealed. */
  isStale(sealed: string): boolean {
    return sealed.split('.')[1] !== this.currentKeyId;
  }
}

/** Parses `kid:base64,kid2:base64` (already validated by the config schema). */
export function parseSecretKeys(value: string): SecretKey[] {
  return value.split(',').map((entry) => {
    const [id, key] = entry.split(':') as [string, string];
    return { id, key: Buffer.from(key, 'base64') };
  });
}

/**
 * The embedded default: a key generated on first start and kept (mode 0600)
 * in the data directory, so a laptop install needs no configuration.
 */
export async function loadOrCreateDataDirKey(dataDir: string): Promise<SecretKey[]> {
  const path = join(dataDir, 'secret.key');
  if (!existsSync(path)) {
    await mkdir(dataDir, { recursive: true });
    const entry = `k${Date.now().toString(36)}:${randomBytes(32).toString('base64')}`;
    await writeFile(path, `${entry}\n`, { mode: 0o600, flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
  return parseSecretKeys((await readFile(path, 'utf8')).trim());
}
