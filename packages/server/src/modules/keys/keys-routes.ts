import { ClaimKeyPackagesBody, ClaimedKeyPackageList, DeviceParams, KeyPackageStockSchema, PublishKeyPackagesBody } from '@kaif/protocol';
import type { HttpServer } from '../../platform/http/http-server.js';
import { principalOf } from '../../platform/http/principal.js';
import type { KeyDirectory } from './key-directory.js';

const TAGS = ['keys'];
const BEARER = [{ bearer: [] }];

/** The MLS key directory over HTTP (API.md "Secret chats": `/api/v1/keys/…`). */
export function registerKeysRoutes(http: HttpServer, directory: KeyDirectory): void {
  http.post(
    '/api/v1/keys/devices/:deviceId/key-packages',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: "Publish this device's KeyPackages (the first publish binds the device id to your user and session); returns the stock",
        params: DeviceParams,
        body: PublishKeyPackagesBody,
        response: { 200: KeyPackageStockSchema },
      },
    },
    async (request) => {
      const { userId, sessionId } = principalOf(request);
      return directory.publish(userId, sessionId, request.params.deviceId, request.body.keyPackages);
    },
  );

  http.get(
    '/api/v1/keys/devices/:deviceId/key-packages/count',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: "How many of this device's KeyPackages are left; `low` asks the device to publish more",
        params: DeviceParams,
        response: { 200: KeyPackageStockSchema },
      },
    },
    async (request) => {
      const { userId, sessionId } = principalOf(request);
      return directory.stock(userId, sessionId, request.params.deviceId);
    },
  );

  http.post(
    '/api/v1/keys/claim',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Claim one KeyPackage for every device of these users (each is handed out once); keyPackage null = the device has none left',
        body: ClaimKeyPackagesBody,
        response: { 200: ClaimedKeyPackageList },
      },
    },
    async (request) => {
      principalOf(request);
      return { devices: await directory.claim(request.body.userIds) };
    },
  );
}
