import { PrivacySettingsSchema } from '@kaif/protocol';
import type { HttpServer } from '../../../platform/http/http-server.js';
import { principalOf } from '../../../platform/http/principal.js';
import type { IdentityServices } from '../identity-services.js';
import { BEARER, TAGS } from './route-options.js';

export function registerPrivacyRoutes(app: HttpServer, services: IdentityServices): void {
  app.get(
    '/api/v1/me/privacy',
    { schema: { tags: TAGS, security: BEARER, summary: 'Who may see the caller’s presence', response: { 200: PrivacySettingsSchema } } },
    async (request) => services.privacy.of(principalOf(request).userId),
  );

  app.patch(
    '/api/v1/me/privacy',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Choose who may see the caller’s presence: everybody, contacts (shared direct chat or group) or nobody',
        body: PrivacySettingsSchema,
        response: { 200: PrivacySettingsSchema },
      },
    },
    async (request) => services.privacy.change(principalOf(request).userId, request.body),
  );
}
