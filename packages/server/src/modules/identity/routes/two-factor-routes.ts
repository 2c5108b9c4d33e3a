import { RecoveryCodesSchema, TwoFactorCodeBody, TwoFactorSetupSchema } from '@kaif/protocol';
import { Type } from '@sinclair/typebox';
import { KaifError } from '../../../platform/http/kaif-error.js';
import type { HttpServer } from '../../../platform/http/http-server.js';
import { principalOf } from '../../../platform/http/principal.js';
import type { IdentityServices } from '../identity-services.js';
import { BEARER, TAGS } from './route-options.js';

export function registerTwoFactorRoutes(app: HttpServer, services: IdentityServices): void {
  app.post(
    '/api/v1/auth/2fa/setup',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Start TOTP setup: a new secret, its otpauth URL and QR code',
        response: { 200: TwoFactorSetupSchema },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const user = await services.users.getUser(principal.userId);
      if (!user) throw new KaifError('UNAUTHORIZED');
      return services.twoFactor.setup(principal.userId, user.username);
    },
  );

  app.post(
    '/api/v1/auth/2fa/enable',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Confirm setup with a code; returns 10 single-use recovery codes and signs other sessions out',
        body: TwoFactorCodeBody,
        response: { 200: RecoveryCodesSchema },
      },
    },
    async (request) => ({ recoveryCodes: [...(await services.twoFactor.enable(principalOf(request), request.body.code))] }),
  );

  app.post(
    '/api/v1/auth/2fa/disable',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Turn 2FA off with a TOTP or recovery code; signs other sessions out',
        body: TwoFactorCodeBody,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await services.twoFactor.disable(principalOf(request), request.body.code);
      return reply.status(204).send(null);
    },
  );
}
