import { sql } from 'kysely';
import webpush from 'web-push';
import type { Config } from '../../platform/config/config.js';
import type { SealedSample, SecretBox } from '../../platform/crypto/secret-box.js';
import type { PushDb } from './push-tables.js';

/** RFC 8292 application server keys, with the contact push services see in each token. */
export interface VapidKeys {
  readonly publicKey: string;
  readonly privateKey: string;
  readonly subject: string;
}

/** Binds the sealed private key to its row, so a sealed value copied elsewhere does not open. */
const ASSOCIATED_DATA = 'push.vapid';
/** Fixed: nodes starting together take turns, so exactly one key pair is made. */
const FIRST_KEY_LOCK_ID = 7_311_248;

/**
 * The VAPID key pair: KAIF_VAPID_PUBLIC_KEY / KAIF_VAPID_PRIVATE_KEY when
 * set, else the pair generated at the first start and kept in
 * push.vapid_keys with the private half sealed by the at-rest key (like
 * identity's signing keys). Browsers bind a subscription to the public key,
 * so it must never change by itself: a new pair would orphan every
 * subscription.
 */
export async function loadVapidKeys(db: PushDb, secrets: SecretBox, config: Config): Promise<VapidKeys> {
  const subject = config.KAIF_VAPID_SUBJECT;
  if (config.KAIF_VAPID_PUBLIC_KEY && config.KAIF_VAPID_PRIVATE_KEY) {
    return { publicKey: config.KAIF_VAPID_PUBLIC_KEY, privateKey: config.KAIF_VAPID_PRIVATE_KEY, subject };
  }
  const row = await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${FIRST_KEY_LOCK_ID})`.execute(trx);
    const existing = await trx.selectFrom('push.vapid_keys').select(['public_key', 'private_key_sealed']).executeTakeFirst();
    if (existing) return existing;
    const generated = webpush.generateVAPIDKeys();
    const fresh = { public_key: generated.publicKey, private_key_sealed: secrets.seal(generated.privateKey, ASSOCIATED_DATA) };
    await trx.insertInto('push.vapid_keys').values(fresh).execute();
    return fresh;
  });
  return { publicKey: row.public_key, privateKey: secrets.open(row.private_key_sealed, ASSOCIATED_DATA), subject };
}

/** The sealed private key, for the start-up check that this node's key opens it. */
export async function pushSealedSamples(db: PushDb): Promise<readonly SealedSample[]> {
  const rows = await db.selectFrom('push.vapid_keys').select('private_key_sealed').execute();
  return rows.map((row) => ({ sealed: row.private_key_sealed, associatedData: ASSOCIATED_DATA }));
}
