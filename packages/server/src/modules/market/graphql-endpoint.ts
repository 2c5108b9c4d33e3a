import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import fastifyWebsocket from '@fastify/websocket';
import { type DocumentNode, type GraphQLError, type GraphQLFormattedError, type GraphQLSchema, buildSchema, printSchema } from 'graphql';
import mercurius from 'mercurius';
import { ERRORS, MAX_CLIENT_FRAME_BYTES, isErrorCode } from '@kaif/protocol';
import type { Bus } from '../../platform/bus/bus.js';
import type { FloodLimits } from '../../platform/flood/flood-limits.js';
import type { HttpServer } from '../../platform/http/http-server.js';
import { KaifError } from '../../platform/http/kaif-error.js';
import { claimUpgrade } from '../../platform/http/upgrade-claims.js';
import type { Logger } from '../../platform/logging/logger.js';
import { type QueryLimits, checkQueryCost, queryDepthRules } from './graphql-limits.js';
import { type MarketContext, type MarketServices, marketResolvers } from './graphql-resolvers.js';
import { MARKET_SDL } from './graphql-schema.js';
import { subscriptionGate, subscriptionOptions, subscriptionResolvers } from './graphql-subscriptions.js';
import { OrderFeed } from './order-feed.js';
import { DEFAULT_SUBSCRIBER_LIMITS, SubscriberSockets, addressOf } from './subscriber-sockets.js';

export const GRAPHQL_PATH = '/api/graphql';

interface MercuriusHooks {
  addHook(name: 'preExecution', hook: (schema: GraphQLSchema, document: DocumentNode, context: unknown, variables: Record<string, unknown> | undefined) => Promise<void>): void;
  addHook(name: 'preSubscriptionExecution', hook: (schema: GraphQLSchema, document: DocumentNode, context: unknown) => Promise<void>): void;
}

/** What the live half of the endpoint (subscriptions over WebSocket) needs besides the services. */
export interface LiveDeps {
  readonly bus: Bus;
  readonly flood: FloodLimits;
  /** KAIF_TRUST_PROXY: the client's address from X-Forwarded-For. */
  readonly trustProxy: boolean;
  /** KAIF_CONNECTION_FRAMES_PER_SECOND, the realtime gateway's per-socket budget. */
  readonly messagesPerSecond: number;
}

/** mercurius' keep-alive `ping` (graphql-transport-ws), as often as the realtime gateway's heartbeat. */
const KEEP_ALIVE_MS = 25_000;

/** The printed schema (SDL), the same text as schema.graphql beside this file. */
export const printedMarketSchema = (): string => printSchema(buildSchema(MARKET_SDL));

/**
 * POST /api/graphql (mercurius). It is an `/api/` route like any other, so
 * the identity hook has already set `request.principal` from the bearer
 * token and the flood control has charged the caller's budget (a spent
 * budget is 429 FLOOD_WAIT before GraphQL runs). Errors carry the
 * registry's stable code in `extensions.code` (and `retryAfter`, `field`
 * where the REST body would); an error that is not ours is INTERNAL with
 * the registry's message, its detail only in the log. A query too deep or
 * too costly is refused in validation, before any resolver runs.
 *
 * GET /api/graphql also upgrades to WebSocket for subscriptions (README,
 * "GraphQL subscriptions"): authenticated at `connection_init`, each
 * document checked like a query, fed from the bus. Returns what ends them.
 */
export async function registerGraphqlEndpoint(http: HttpServer, services: MarketServices, limits: QueryLimits, logger: Logger, live: LiveDeps): Promise<() => void> {
  const feed = new OrderFeed(live.bus);
  const sockets = new SubscriberSockets({ ...DEFAULT_SUBSCRIBER_LIMITS, messagesPerSecond: live.messagesPerSecond }, services.identity, live.bus, logger);
  // @fastify/websocket routes every upgrade it hears through Fastify; it hears only /api/graphql's (the gate), so the
  // realtime gateway's /ws and Socket.IO keep theirs. Registered here first, mercurius uses it rather than its own.
  const gate = new EventEmitter();
  await http.register(fastifyWebsocket, { options: { server: gate as never, maxPayload: MAX_CLIENT_FRAME_BYTES, perMessageDeflate: false } });
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if ((request.url ?? '').split('?')[0] !== GRAPHQL_PATH) return;
    claimUpgrade(request);
    gate.emit('upgrade', request, socket, head);
  };
  http.server.prependListener('upgrade', onUpgrade);
  http.websocketServer.on('connection', (ws, request) => sockets.accept(ws, addressOf(request, live.trustProxy)));
  await http.register(mercurius, {
    schema: MARKET_SDL,
    resolvers: { ...marketResolvers(services), ...subscriptionResolvers(services, feed) } as never,
    path: GRAPHQL_PATH,
    graphiql: false,
    validationRules: queryDepthRules(limits),
    subscription: subscriptionOptions(sockets, KEEP_ALIVE_MS) as never,
    context: (request): MarketContext => ({
      viewer: request.principal ? { userId: request.principal.userId, admin: request.principal.role === 'admin' } : undefined,
      sellers: new Map(),
    }),
    errorFormatter: (execution, context) => {
      // mercurius wraps validation and syntax errors in one MER_ERR_GQL_VALIDATION carrying them in `errors`.
      const flat = execution.errors.flatMap((error) => {
        const inner = (error.originalError as { errors?: unknown } | undefined)?.errors;
        return Array.isArray(inner) ? (inner as GraphQLError[]) : [error];
      });
      const errors = flat.map((error) => formatError(error, logger));
      if (execution.data !== undefined && execution.data !== null) return { statusCode: 200, response: { data: execution.data, errors } };
      // Refused before running. A request the HTTP hooks refused (token, flood budget) keeps REST's status and Retry-After;
      // a query refused in parsing or validation (limits included) is 400, like REST's VALIDATION_FAILED.
      const refusal = flat.length === 1 ? kaifErrorOf(flat[0]!) : undefined;
      if (refusal?.retryAfter !== undefined) (context as { reply?: { header(name: string, value: string): unknown } }).reply?.header('retry-after', String(refusal.retryAfter));
      return { statusCode: refusal?.status ?? 400, response: { data: null, errors } };
    },
  });
  const hooks = (http as unknown as { graphql: MercuriusHooks }).graphql;
  hooks.addHook('preExecution', async (schema, document, _context, variables) => {
    checkQueryCost(schema, document, variables, limits);
  });
  hooks.addHook('preSubscriptionExecution', subscriptionGate(limits, live.flood));
  http.get(`${GRAPHQL_PATH}/schema.graphql`, { schema: { tags: ['market'], summary: 'The marketplace GraphQL schema as SDL (also by introspection at POST /api/graphql)' } }, async (_request, reply) =>
    reply.type('text/plain; charset=utf-8').send(printedMarketSchema()),
  );
  return () => {
    http.server.off('upgrade', onUpgrade);
    sockets.close();
    feed.close();
  };
}

const kaifErrorOf = (error: GraphQLError | Error): KaifError | undefined =>
  error instanceof KaifError ? error : (error as GraphQLError).originalError instanceof KaifError ? ((error as GraphQLError).originalError as KaifError) : undefined;

function formatError(error: GraphQLError, logger: Logger): GraphQLFormattedError {
  const original = kaifErrorOf(error) ?? error.originalError;
  const base = { message: error.message, ...(error.locations ? { locations: error.locations } : {}), ...(error.path ? { path: error.path } : {}) };
  if (original instanceof KaifError) {
    const payload = original.toPayload();
    return { ...base, message: payload.message, extensions: { code: payload.code, ...(payload.retryAfter === undefined ? {} : { retryAfter: payload.retryAfter }), ...(payload.field === undefined ? {} : { field: payload.field }) } };
  }
  const code = error.extensions?.code;
  if (typeof code === 'string' && isErrorCode(code)) return { ...base, extensions: { code } };
  if (!original || error.path === undefined) return { ...base, extensions: { code: 'VALIDATION_FAILED' } };
  logger.error({ err: original.message, path: error.path }, 'graphql resolver failed');
  return { ...base, message: ERRORS.INTERNAL.message, extensions: { code: 'INTERNAL' } };
}
