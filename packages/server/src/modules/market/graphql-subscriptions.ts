import { type DocumentNode, GraphQLError, type GraphQLSchema, specifiedRules, validate } from 'graphql';
import type { WebSocket } from 'ws';
import type { FloodLimits } from '../../platform/flood/flood-limits.js';
import { KaifError } from '../../platform/http/kaif-error.js';
import { type QueryLimits, checkQueryCost, queryDepthRules } from './graphql-limits.js';
import { type MarketContext, type MarketServices, orderSeenBy, upper, viewerOf } from './graphql-resolvers.js';
import type { OrderEvent } from './order-events.js';
import type { OrderFeed } from './order-feed.js';
import type { SubscriberSocket, SubscriberSockets } from './subscriber-sockets.js';

/** What a subscription's resolvers see: the socket's caller, and the socket. */
export interface SubscriptionContext extends MarketContext {
  readonly socket: SubscriberSocket | undefined;
}

/** Subscriptions live for long: a memo of sellers would only go stale, so nothing is kept. */
class NoMemo<K, V> extends Map<K, V> {
  override set(): this {
    return this;
  }
}

/** A KaifError as GraphQL carries it over the socket: the registry's code (and retryAfter) in `extensions`. */
export function subscriptionError(error: KaifError): GraphQLError {
  const payload = error.toPayload();
  return new GraphQLError(payload.message, { extensions: { code: payload.code, ...(payload.retryAfter === undefined ? {} : { retryAfter: payload.retryAfter }) } });
}

const refuse = async <T>(work: () => Promise<T> | T): Promise<T> => {
  try {
    return await work();
  } catch (error) {
    throw error instanceof KaifError ? subscriptionError(error) : error;
  }
};

/**
 * mercurius' `subscription` option: at `connection_init` the socket's
 * caller is authenticated from the payload's token (SubscriberSockets);
 * a refused socket is closed before mercurius acknowledges it.
 */
export function subscriptionOptions(sockets: SubscriberSockets, keepAliveMs: number) {
  return {
    keepAlive: keepAliveMs,
    context: async (ws: WebSocket): Promise<SubscriptionContext> => {
      const socket = await sockets.authenticate(ws);
      const principal = socket?.principal;
      return { viewer: principal ? { userId: principal.userId, admin: principal.role === 'admin' } : undefined, sellers: new NoMemo(), socket };
    },
  };
}

/**
 * Checks a subscription document before it runs, as POST /api/graphql
 * checks a query: graphql-js' rules with the depth limit, then the cost
 * (mercurius does not validate subscription documents itself; variables
 * are not known here, so a `limit` given as a variable counts as the
 * largest list). Each subscription also draws one point from the caller's
 * flood budget, like a REST request.
 */
export function subscriptionGate(limits: QueryLimits, flood: FloodLimits) {
  return async (schema: GraphQLSchema, document: DocumentNode, context: unknown): Promise<void> => {
    const [error] = validate(schema, document, [...specifiedRules, ...queryDepthRules(limits)]);
    if (error) throw new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: error.extensions.code ?? 'VALIDATION_FAILED' } });
    checkQueryCost(schema, document, undefined, limits);
    await refuse(async () => {
      const viewer = viewerOf(context as SubscriptionContext);
      await flood.consumeUser(viewer.userId);
    });
  };
}

const followerOf = (context: SubscriptionContext) => {
  viewerOf(context);
  if (!context.socket) throw new KaifError('UNAUTHORIZED');
  return context.socket;
};

/** Resolvers of `Subscription` and `OrderUpdate` (graphql-schema.ts). */
export function subscriptionResolvers(services: MarketServices, feed: OrderFeed) {
  return {
    Subscription: {
      orderUpdated: {
        subscribe: (_: unknown, args: { orderId: string }, context: SubscriptionContext) =>
          refuse(async () => {
            const socket = followerOf(context);
            if (!(await orderSeenBy(services.db, viewerOf(context), args.orderId))) throw new KaifError('ORDER_NOT_FOUND');
            return socket.follow(feed, { orderId: args.orderId });
          }),
        resolve: (event: OrderEvent) => event,
      },
      myOrderUpdates: {
        subscribe: (_: unknown, __: unknown, context: SubscriptionContext) => refuse(() => followerOf(context).follow(feed, { userId: viewerOf(context).userId })),
        resolve: (event: OrderEvent) => event,
      },
    },
    OrderUpdate: {
      state: (event: OrderEvent) => upper(event.state),
      order: (event: OrderEvent, _: unknown, context: SubscriptionContext) => orderSeenBy(services.db, viewerOf(context), event.orderId),
    },
  };
}
