import { randomBytes } from 'node:crypto';
import { type CryptoKey, exportJWK, exportPKCS8, generateKeyPair, importJWK, importPKCS8 } from 'jose';
import { sql } from 'kysely';
import type { SecretBox } from '../../../platform/crypto/secret-box.js';
import type { IdentityDb } from '../identity-tables.js';

export const SIGNING_ALGORITHM = 'EdDSA';

/** Unknown kids trigger a reread at most this often (no reload storm on junk tokens). */
const UNKNOWN_KID_RELOAD_MS = 5_000;
/** Fixed: every node takes the same lock before creating the first key. */
const FIRST_KEY_LOCK_ID = 7_311_247;

/** An Ed25519 public key as RFC 8037 writes it in a JWK Set. */
export interface PublicSigningKey {
  readonly kty: string;
  readonly crv: string;
  readonly x: string;
  readonly kid: string;
  readonly alg: typeof SIGNING_ALGORITHM;
  readonly use: 'sig';
}

interface LoadedKey {
  readonly kid: string;
  readonly jwk: PublicSigningKey;
  readonly publicKey: CryptoKey;
  readonly sealedPrivateKey: string;
  readonly createdAt: number;
  readonly retiredAt: number | null;
}

/**
 * The Ed25519 keys that sign access tokens, kept in identity.signing_keys
 * with the private half sealed by the at-rest key. The newest unretired key
 * signs; a retired key keeps verifying (and stays in the JWKS) until every
 * token it signed has expired. Shared by every node through the database.
 *
 * Signing never reads the database: tokens are signed inside sign-in
 * transactions, and a reread there would need a second connection, which
 * embedded PGlite does not have. The keys are reread on a timer instead
 * (`startReloading`), off every request's path.
 */
export class SigningKeyRing {
  private keys: readonly LoadedKey[] = [];
  private loadedAt = 0;
  private reloading: Promise<void> | undefined;
  private readonly privateKeys = new Map<string, CryptoKey>();

  constructor(
    private readonly db: IdentityDb,
    private readonly secrets: SecretBox,
    /** Longest access-token lifetime, in seconds. */
    private readonly tokenTtlSeconds: number,
    /** How often a node rereads the keys, so a rotation made elsewhere reaches it. */
    private readonly reloadMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Creates the first key when there is none. Nodes starting together take
   * turns under an advisory lock, so exactly one key is made: a second one
   * would sign tokens the other nodes reject until they reread the keys.
   */
  async ensureKey(): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${FIRST_KEY_LOCK_ID})`.execute(trx);
      const current = await trx
        .selectFrom('identity.signing_keys')
        .select('kid')
        .where('retired_at', 'is', null)
        .executeTakeFirst();
      if (!current) await this.insertKey(trx);
    });
    await this.reloadAfterWrite();
  }

  /**
   * Rereads the keys every reload interval until the returned stop is
   * called; a failed reread keeps the keys already loaded.
   */
  startReloading(onError: (error: Error) => void): () => void {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const schedule = () => {
      if (stopped) return;
      timer = setTimeout(() => {
        this.reload()
          .catch(onError)
          .finally(schedule);
      }, this.reloadMs);
      timer.unref();
    };
    schedule();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }

  /** A new key signs from now on; the previous ones verify until their tokens expire. */
  async rotate(): Promise<string> {
    const kid = await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('identity.signing_keys').set({ retired_at: new Date(this.now()) }).where('retired_at', 'is', null).execute();
      return this.insertKey(trx);
    });
    await this.reloadAfterWrite();
    return kid;
  }

  async signingKey(): Promise<{ readonly kid: string; readonly privateKey: CryptoKey }> {
    const current = this.keys.find((key) => key.retiredAt === null);
    if (!current) throw new Error('no signing key; ensureKey() was not called');
    let privateKey = this.privateKeys.get(current.kid);
    if (!privateKey) {
      privateKey = await importPKCS8(this.secrets.open(current.sealedPrivateKey, current.kid), SIGNING_ALGORITHM);
      this.privateKeys.set(current.kid, privateKey);
    }
    return { kid: current.kid, privateKey };
  }

  /** The public key for a kid, if it may still verify tokens. */
  async verificationKey(kid: string): Promise<CryptoKey | undefined> {
    let key = this.keys.find((candidate) => candidate.kid === kid);
    if (!key && this.now() - this.loadedAt > UNKNOWN_KID_RELOAD_MS) {
      await this.reload();
      key = this.keys.find((candidate) => candidate.kid === kid);
    }
    return key && this.stillVerifies(key) ? key.publicKey : undefined;
  }

  /** RFC 7517 JWK Set of every key that may still verify a live token. */
  jwks(): readonly PublicSigningKey[] {
    return this.keys.filter((key) => this.stillVerifies(key)).map((key) => key.jwk);
  }

  private stillVerifies(key: LoadedKey): boolean {
    // A node may sign with a just-retired key until its next reload, which
    // comes within one interval (plus the reread itself).
    return key.retiredAt === null || this.now() - key.retiredAt < this.tokenTtlSeconds * 1000 + 2 * this.reloadMs;
  }

  /** A reread already in flight may have read before the write committed: wait for it, then read again. */
  private async reloadAfterWrite(): Promise<void> {
    await this.reloading?.catch(() => undefined);
    await this.reload();
  }

  private reload(): Promise<void> {
    this.reloading ??= (async () => {
      try {
        const rows = await this.db
          .selectFrom('identity.signing_keys')
          .select(['kid', 'public_jwk', 'private_key_sealed', 'created_at', 'retired_at'])
          .orderBy('created_at', 'desc')
          .orderBy('kid')
          .execute();
        this.keys = await Promise.all(
          rows.map(async (row) => {
            const jwk = JSON.parse(row.public_jwk) as PublicSigningKey;
            return {
              kid: row.kid,
              jwk,
              publicKey: (await importJWK(jwk, SIGNING_ALGORITHM)) as CryptoKey,
              sealedPrivateKey: row.private_key_sealed,
              createdAt: row.created_at.getTime(),
              retiredAt: row.retired_at?.getTime() ?? null,
            };
          }),
        );
        this.loadedAt = this.now();
      } finally {
        this.reloading = undefined;
      }
    })();
    return this.reloading;
  }

  private async insertKey(db: Pick<IdentityDb, 'insertInto'> = this.db): Promise<string> {
    const kid = randomBytes(12).toString('base64url');
    const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALGORITHM, { crv: 'Ed25519', extractable: true });
    const { kty, crv, x } = await exportJWK(publicKey);
    const jwk: PublicSigningKey = { kty: kty!, crv: crv!, x: x!, kid, alg: SIGNING_ALGORITHM, use: 'sig' };
    await db
      .insertInto('identity.signing_keys')
      .values({
        kid,
        public_jwk: JSON.stringify(jwk),
        private_key_sealed: this.secrets.seal(await exportPKCS8(privateKey), kid),
        created_at: new Date(this.now()),
        retired_at: null,
      })
      .execute();
    return kid;
  }
}
