import { type CiphersuiteImpl, type KeyPackage, type PrivateKeyPackage, defaultCapabilities, defaultLifetime, generateKeyPackageWithKey } from 'ts-mls';
import {
  type DeviceName,
  cipherSuite,
  credentialOf,
  decodeKeyPackage,
  decodePrivateKeyPackage,
  encodeKeyPackage,
  encodePrivateKeyPackage,
  fromBase64,
  toBase64,
} from './mls-codec.js';
import type { SecretStore } from './secret-store.js';

const DEVICE_KEY = 'device';
const KEY_PACKAGES_KEY = 'keyPackages';

interface StoredDevice {
  readonly userId: string;
  readonly deviceId: string;
  readonly signPublic: string;
  readonly signPrivate: string;
}

interface StoredKeyPackage {
  readonly publicPackage: string;
  readonly privatePackage: string;
}

/**
 * One device's MLS identity: its id, its Ed25519 signature key pair (the
 * same in every KeyPackage and every group, so its safety number is stable)
 * and the private halves of the KeyPackages it published. Created once and
 * kept in the device's SecretStore; the private keys never leave it.
 */
export class DeviceKeys {
  private constructor(
    private readonly store: SecretStore,
    private readonly device: StoredDevice,
    readonly suite: CiphersuiteImpl,
  ) {}

  static async open(store: SecretStore, userId: string): Promise<DeviceKeys> {
    const suite = await cipherSuite();
    const stored = await store.get(DEVICE_KEY);
    if (stored) {
      const device = JSON.parse(stored) as StoredDevice;
      if (device.userId !== userId) throw new Error('This secret store belongs to another user');
      return new DeviceKeys(store, device, suite);
    }
    const keys = await suite.signature.keygen();
    const device: StoredDevice = {
      userId,
      deviceId: globalThis.crypto.randomUUID(),
      signPublic: toBase64(keys.publicKey),
      signPrivate: toBase64(keys.signKey),
    };
    await store.set(DEVICE_KEY, JSON.stringify(device));
    return new DeviceKeys(store, device, suite);
  }

  get name(): DeviceName {
    return { userId: this.device.userId, deviceId: this.device.deviceId };
  }

  get signaturePublicKey(): Uint8Array {
    return fromBase64(this.device.signPublic);
  }

  /** New KeyPackages: the private halves are stored, the public ones returned (base64) for the directory. */
  async generateKeyPackages(count: number): Promise<string[]> {
    const fresh = await Promise.all(Array.from({ length: count }, () => this.generateKeyPackage()));
    const stored = await this.storedKeyPackages();
    const added = fresh.map((kp) => ({ publicPackage: encodeKeyPackage(kp.publicPackage), privatePackage: encodePrivateKeyPackage(kp.privatePackage) }));
    await this.store.set(KEY_PACKAGES_KEY, JSON.stringify([...stored, ...added]));
    return added.map((kp) => kp.publicPackage);
  }

  /** A KeyPackage used at once and never published (the creator's own leaf of a new group). */
  generateKeyPackage(): Promise<{ publicPackage: KeyPackage; privatePackage: PrivateKeyPackage }> {
    return generateKeyPackageWithKey(
      credentialOf(this.name),
      defaultCapabilities(),
      defaultLifetime,
      [],
      { publicKey: fromBase64(this.device.signPublic), signKey: fromBase64(this.device.signPrivate) },
      this.suite,
    );
  }

  /** Every unused KeyPackage of this device, for trying a Welcome against. */
  async keyPackages(): Promise<{ readonly encoded: string; readonly publicPackage: KeyPackage; readonly privatePackage: PrivateKeyPackage }[]> {
    return (await this.storedKeyPackages()).map((kp) => ({
      encoded: kp.publicPackage,
      publicPackage: decodeKeyPackage(kp.publicPackage),
      privatePackage: decodePrivateKeyPackage(kp.privatePackage),
    }));
  }

  /** A KeyPackage was used to join: its private keys are deleted (forward secrecy of the Welcome). */
  async forgetKeyPackage(encoded: string): Promise<void> {
    const stored = await this.storedKeyPackages();
    await this.store.set(KEY_PACKAGES_KEY, JSON.stringify(stored.filter((kp) => kp.publicPackage !== encoded)));
  }

  private async storedKeyPackages(): Promise<StoredKeyPackage[]> {
    const stored = await this.store.get(KEY_PACKAGES_KEY);
    return stored ? (JSON.parse(stored) as StoredKeyPackage[]) : [];
  }
}
