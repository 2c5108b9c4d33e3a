import type { SessionId, UserId } from '@kaif/protocol';

/** The key directory's public interface: which user a device belongs to. */
export interface KeysApi {
  /** The owner of each of these devices that exists; unknown ids are absent from the map. */
  ownersOf(deviceIds: readonly string[]): Promise<ReadonlyMap<string, UserId>>;
  /** DEVICE_NOT_FOUND unless the device is this user's and was registered by this session. */
  assertOwnDevice(userId: UserId, sessionId: SessionId, deviceId: string): Promise<void>;
}

declare module '../service-map.js' {
  interface ServiceMap {
    keys: KeysApi;
  }
}
