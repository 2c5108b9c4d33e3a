import { KaifError } from '../../platform/http/kaif-error.js';
import type { KaifModule, ModuleContext, ModuleInstance } from '../module.js';
import { AccountSettings } from './accounts/account-settings.js';
import { AdminBootstrap } from './accounts/admin-bootstrap.js';
import { PrivacySettings } from './accounts/privacy-settings.js';
import { SignIn } from './accounts/sign-in.js';
import { UserDirectory } from './accounts/user-directory.js';
import type { IdentityApi } from './api.js';
import { DEFAULT_FLOOD_LIMITS, FloodControl, type FloodLimits } from './credentials/flood-control.js';
import { LoginThrottle } from './credentials/login-throttle.js';
import { createPasswordHasher } from './credentials/password-hasher.js';
import { createSignInProviders } from './external/create-providers.js';
import { ExternalAccounts } from './external/external-accounts.js';
import { ExternalSignIn } from './external/external-sign-in.js';
import { SignInFlows } from './external/sign-in-flows.js';
import type { IdentityServices } from './identity-services.js';
import { DEFAULT_IDENTITY_TIMINGS, type IdentityTimings } from './identity-timings.js';
import { type IdentityTables, identityMigrations } from './identity-tables.js';
import { identitySealedSamples } from './sealed-samples.js';
import { registerAdminRoutes } from './routes/admin-routes.js';
import { registerAuthRoutes } from './routes/auth-routes.js';
import { registerJwksRoute } from './routes/jwks-route.js';
import { registerProviderRoutes } from './routes/provider-routes.js';
import { registerPrivacyRoutes } from './routes/privacy-routes.js';
import { registerSessionRoutes } from './routes/session-routes.js';
import { registerTwoFactorRoutes } from './routes/two-factor-routes.js';
import { registerUserRoutes } from './routes/user-routes.js';
import { RefreshRotation } from './sessions/refresh-rotation.js';
import { SessionStore } from './sessions/session-store.js';
import { AccessTokens } from './tokens/access-tokens.js';
import { SigningKeyRing } from './tokens/signing-keys.js';
import { TokenIssuer } from './tokens/token-issuer.js';
import { TwoFactorService } from './two-factor/two-factor-service.js';

export interface IdentityModuleOptions {
  /** Tests tighten limits to reach them quickly; production uses the defaults. */
  readonly floodLimits?: Partial<FloodLimits>;
  /** Tests shorten every cache lifetime to exercise expiry; production uses the defaults. */
  readonly timings?: Partial<IdentityTimings>;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Accounts, sessions, tokens, 2FA and roles. The bearer hook is installed in
 * init, so every route of every role sees `request.principal`; the routes
 * open with the api role.
 */
export function createIdentityModule(options: IdentityModuleOptions = {}): KaifModule {
  return {
    name: 'identity',
    migrations: identityMigrations,
    sealedSamples: identitySealedSamples,
    async init(ctx: ModuleContext): Promise<ModuleInstance<IdentityApi>> {
      const services = await buildServices(ctx, { ...DEFAULT_FLOOD_LIMITS, ...options.floodLimits }, {
        ...DEFAULT_IDENTITY_TIMINGS,
        ...options.timings,
      });
      ctx.http.addHook('onRequest', async (request) => {
        const header = request.headers.authorization;
        if (header === undefined || request.routeOptions.config.ignoresBearer) return;
        if (!/^bearer\b/i.test(header)) return;
        const token = BEARER.exec(header)?.[1];
        if (!token) throw new KaifError('TOKEN_INVALID');
        request.principal = await services.api.authenticate(token);
      });
      const stopReloadingKeys = services.keys.startReloading((error) =>
        ctx.logger.warn({ err: error.message }, 'could not reread the signing keys; signing with those already loaded'),
      );
      return {
        api: services.api,
        async stop() {
          stopReloadingKeys();
        },
        listeners: {
          api: {
            async open() {
              registerAuthRoutes(ctx.http, services);
              registerSessionRoutes(ctx.http, services);
              registerTwoFactorRoutes(ctx.http, services);
              registerUserRoutes(ctx.http, services);
              registerPrivacyRoutes(ctx.http, services);
              registerAdminRoutes(ctx.http, services);
              registerJwksRoute(ctx.http, services);
              registerProviderRoutes(ctx.http, services, ctx.config.KAIF_PUBLIC_URL);
            },
          },
        },
      };
    },
  };
}

export const identityModule = createIdentityModule();

async function buildServices(ctx: ModuleContext, limits: FloodLimits, timings: IdentityTimings): Promise<IdentityServices> {
  const db = ctx.db.kysely<IdentityTables>();
  const accessTokenTtl = timings.accessTokenTtlSeconds ?? ctx.config.KAIF_ACCESS_TOKEN_TTL;
  const keys = new SigningKeyRing(db, ctx.secrets, accessTokenTtl, timings.signingKeyReloadMs);
  await keys.ensureKey();
  const accessTokens = new AccessTokens(keys, accessTokenTtl);
  const issuer = new TokenIssuer(accessTokens);
  const hasher = await createPasswordHasher();
  const flood = new FloodControl(ctx.kv, limits);
  const throttle = new LoginThrottle(ctx.kv, limits);
  const sessions = new SessionStore(db, ctx.kv, ctx.logger, ctx.outboxCommitted, timings);
  const users = new UserDirectory(db);
  const adminBootstrap = new AdminBootstrap(db, ctx.logger);
  await adminBootstrap.offerIfNoAdmin();
  const twoFactor = new TwoFactorService(db, ctx.secrets, sessions, flood);
  const privacy = new PrivacySettings(db);
  const signIn = new SignIn(db, hasher, sessions, issuer, twoFactor, flood, throttle);
  const providers = createSignInProviders(ctx.config.KAIF_OAUTH_PROVIDERS, ctx.policyFor);
  const externalAccounts = new ExternalAccounts(db, new Map([...providers.values()].map((provider) => [provider.id, provider.name])));
  const external = new ExternalSignIn(providers, new SignInFlows(db), externalAccounts, sessions, signIn, twoFactor, throttle, flood, ctx.logger);

  const api: IdentityApi = {
    async authenticate(accessToken) {
      const principal = await accessTokens.verify(accessToken);
      if (!(await sessions.isLive(principal.userId, principal.sessionId))) throw new KaifError('TOKEN_INVALID');
      await sessions.touch(principal.sessionId).catch((error: unknown) => {
        ctx.logger.warn({ err: (error as Error).message }, 'could not record session activity');
      });
      return principal;
    },
    getUser: (id) => users.getUser(id),
    getUsers: (ids) => users.getUsers(ids),
    presenceVisibilityOf: (userId) => privacy.presenceVisibilityOf(userId),
    async assertSecondFactor(userId, code) {
      if (!(await twoFactor.isEnabled(userId))) return;
      if (!code) throw new KaifError('TOTP_REQUIRED');
      await sessions.transact((trx) => twoFactor.assertCode(trx, userId, code));
    },
  };

  return {
    api,
    signIn,
    rotation: new RefreshRotation(sessions, issuer),
    sessions,
    users,
    settings: new AccountSettings(db, hasher, sessions, flood),
    privacy,
    twoFactor,
    keys,
    adminBootstrap,
    external,
    externalAccounts,
  };
}
