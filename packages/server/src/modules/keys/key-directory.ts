import { KEY_PACKAGES_LOW_WATER, KEY_PACKAGES_MAX_STOCK, type ClaimedKeyPackage, type KeyPackageStock, type UserId } from '@kaif/protocol';
import { type Kysely, sql } from 'kysely';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { KeysTables } from './keys-tables.js';

const stockOf = (count: number): KeyPackageStock => ({ count, low: count < KEY_PACKAGES_LOW_WATER });

/**
 * The MLS key directory (RFC 9750 §5.2, the "Authentication Service"'s
 * neighbour): devices publish KeyPackages, others claim them, each exactly
 * once. The server only relays public keys; it cannot vouch for them, which
 * is why members compare safety numbers (see README.md).
 */
export class KeyDirectory {
  constructor(private readonly db: Kysely<KeysTables>) {}

  /**
   * Binds the device to the caller's user and session on first use, then
   * stores the KeyPackages. A device id another user or session holds is
   * DEVICE_NOT_FOUND: nobody learns whose device it is.
   */
  async publish(userId: string, sessionId: string, deviceId: string, keyPackages: readonly string[]): Promise<KeyPackageStock> {
    const at = new Date();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('keys.devices')
        .values({ device_id: deviceId, user_id: userId, session_id: sessionId, created_at: at })
        .onConflict((conflict) => conflict.column('device_id').doNothing())
        .execute();
      const device = await trx.selectFrom('keys.devices').select(['user_id', 'session_id']).where('device_id', '=', deviceId).executeTakeFirstOrThrow();
      if (device.user_id !== userId || device.session_id !== sessionId) throw new KaifError('DEVICE_NOT_FOUND');
      const stocked = await trx
        .selectFrom('keys.key_packages')
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .where('device_id', '=', deviceId)
        .executeTakeFirstOrThrow();
      if (Number(stocked.count) + keyPackages.length > KEY_PACKAGES_MAX_STOCK) {
        throw new KaifError('VALIDATION_FAILED', `A device holds at most ${KEY_PACKAGES_MAX_STOCK} unclaimed KeyPackages`, { field: 'keyPackages' });
      }
      await trx
        .insertInto('keys.key_packages')
        .values(keyPackages.map((keyPackage) => ({ device_id: deviceId, key_package: keyPackage, created_at: at })))
        .execute();
    });
    return this.stock(userId, sessionId, deviceId);
  }

  /** How many KeyPackages of the device are left to claim. */
  async stock(userId: string, sessionId: string, deviceId: string): Promise<KeyPackageStock> {
    await this.assertOwnDevice(userId, sessionId, deviceId);
    const row = await this.db
      .selectFrom('keys.key_packages')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('device_id', '=', deviceId)
      .executeTakeFirstOrThrow();
    return stockOf(Number(row.count));
  }

  /**
   * One KeyPackage for every device of these users, each claimed once:
   * the oldest of each device is deleted as it is handed out, and
   * `for update skip locked` lets concurrent claims take different ones
   * instead of waiting for, or returning, the same. A device with none left
   * is listed with null.
   */
  async claim(userIds: readonly string[]): Promise<ClaimedKeyPackage[]> {
    return this.db.transaction().execute(async (trx) => {
      const claimed = await sql<{ device_id: string; key_package: string }>`
        delete from keys.key_packages k
        where k.id in (
          select p.id from keys.devices d
          cross join lateral (
            select id from keys.key_packages where device_id = d.device_id order by id limit 1 for update skip locked
          ) p
          where d.user_id = any(${userIds}::text[]))
        returning k.device_id, k.key_package`.execute(trx);
      const devices = await trx
        .selectFrom('keys.devices')
        .select(['device_id', 'user_id'])
        .where('user_id', 'in', [...userIds])
        .orderBy('user_id')
        .orderBy('device_id')
        .execute();
      const packages = new Map(claimed.rows.map((row) => [row.device_id, row.key_package]));
      return devices.map((device) => ({
        userId: device.user_id as UserId,
        deviceId: device.device_id,
        keyPackage: packages.get(device.device_id) ?? null,
      }));
    });
  }

  async ownersOf(deviceIds: readonly string[]): Promise<ReadonlyMap<string, UserId>> {
    if (deviceIds.length === 0) return new Map();
    const rows = await this.db.selectFrom('keys.devices').select(['device_id', 'user_id']).where('device_id', 'in', [...deviceIds]).execute();
    return new Map(rows.map((row) => [row.device_id, row.user_id as UserId]));
  }

  async assertOwnDevice(userId: string, sessionId: string, deviceId: string): Promise<void> {
    const device = await this.db
      .selectFrom('keys.devices')
      .select('device_id')
      .where('device_id', '=', deviceId)
      .where('user_id', '=', userId)
      .where('session_id', '=', sessionId)
      .executeTakeFirst();
    if (!device) throw new KaifError('DEVICE_NOT_FOUND');
  }
}
