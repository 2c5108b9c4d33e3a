import type { MediaId, UserId } from '@kaif/protocol';
import type { Unsubscribe } from '../../platform/bus/bus.js';
import type { KaifModule, ModuleContext, ModuleInstance } from '../module.js';
import type { MarketApi } from './api.js';
import { CatalogueSearch } from './catalogue-search.js';
import { registerGraphqlEndpoint } from './graphql-endpoint.js';
import { ListingService } from './listing-service.js';
import { type MarketTables, marketMigrations } from './market-tables.js';
import { MarketWorker } from './market-worker.js';
import { ORDER_EVENTS } from './order-events.js';
import { orderNoticeHandler } from './order-notices.js';
import { OrderSaga, type SagaFaults } from './order-saga.js';
import type { Payments } from './payments.js';
import { ReviewService } from './review-service.js';
import { walletPayments } from './wallet-payments.js';
import type { NftCustody } from './nft-custody.js';
import { NftDetailsGatherer } from './nft-details.js';
import { NftMetadataReader } from './nft-metadata.js';
import { EndpointGuard } from '../../platform/http/endpoint-guard.js';
import { KaifError } from '../../platform/http/kaif-error.js';

export interface MarketModuleOptions {
  /** Where escrow lives; by default the wallet module's. */
  readonly payments?: (ctx: ModuleContext) => Payments;
  /** Whether listings may be priced in an asset; by default the wallet's enabled assets. */
  readonly assetEnabled?: (ctx: ModuleContext) => (asset: string) => boolean;
  /** ERC-721 custody for NFT listings and orders; by default the wallet's chain code (custodial deposit addresses). */
  readonly nfts?: (ctx: ModuleContext) => NftCustody;
  /** Tests only: where the saga stops as a crash would. */
  readonly faults?: SagaFaults;
}

/** Consumer of order events that posts them into the parties' direct chat; one per deployment's stream. */
const NOTICE_CONSUMER = 'market-order-notices';

/**
 * The marketplace (README.md beside this file): listings with photos and
 * moderation, full-text catalogue search with facets, orders as a saga
 * over wallet escrow, reviews; GraphQL at /api/graphql. Stateless: the
 * API role serves GraphQL against the shared database; the worker role
 * resumes sagas (timeouts, crashed drivers) and posts order notices into
 * chats.
 */
export function createMarketModule(options: MarketModuleOptions = {}): KaifModule {
  return {
    name: 'market',
    migrations: marketMigrations,
    dependsOn: ['identity', 'messaging', 'media', 'wallet'],
    async init(ctx): Promise<ModuleInstance<MarketApi>> {
      const db = ctx.db.kysely<MarketTables>();
      const logger = ctx.logger.child({ module: 'market' });
      const media = ctx.service('media');
      const messaging = ctx.service('messaging');
      const wallet = ctx.service('wallet');
      const enabled = new Set(wallet.assets().map((asset) => asset.code));
      const assetEnabled = options.assetEnabled?.(ctx) ?? ((asset: string) => enabled.has(asset));
      const listings = new ListingService(db, media, assetEnabled);
      const payments = options.payments?.(ctx) ?? walletPayments(wallet);
      const nfts = options.nfts?.(ctx) ?? wallet.nfts;
      const saga = new OrderSaga(
        db,
        listings,
        payments,
        {
          shipTimeoutMs: ctx.config.KAIF_MARKET_SHIP_TIMEOUT_MS,
          receiptTimeoutMs: ctx.config.KAIF_MARKET_RECEIPT_TIMEOUT_MS,
          leaseMs: ctx.config.KAIF_MARKET_SAGA_LEASE_MS,
        },
        logger,
        ctx.outboxCommitted,
        options.faults,
        nfts,
      );
      const guard = new EndpointGuard(ctx.config.KAIF_MARKET_NFT_ALLOW_PRIVATE_HOSTS, undefined, [], (why) => new KaifError('VALIDATION_FAILED', `This address is not fetched: ${why}`));
      const reader = new NftMetadataReader(guard, ctx.policyFor('market-nft-metadata'), {
        ipfsGateway: ctx.config.KAIF_MARKET_IPFS_GATEWAY,
        timeoutMs: ctx.config.KAIF_MARKET_NFT_FETCH_TIMEOUT_MS,
      });
      const nftDetails = new NftDetailsGatherer(db, media, reader, logger);
      const services = { db, listings, nfts, nftDetails, search: new CatalogueSearch(db), saga, reviews: new ReviewService(db), identity: ctx.service('identity') };
      media.useHolder({
        canSee: (userId: UserId, mediaId: MediaId, admin: boolean) => listings.photoVisible(userId, mediaId, admin),
        inUse: (mediaIds) => listings.photosInUse(mediaIds),
      });
      let worker: MarketWorker | undefined;
      let notices: Unsubscribe | undefined;
      /** Ends the GraphQL subscriptions' sockets and bus subscriptions. */
      let closeGraphql: (() => void) | undefined;
      const stopWorker = async () => {
        notices?.();
        notices = undefined;
        await worker?.stop();
      };
      const api: MarketApi = {
        async sellerStanding(userId) {
          const seller = await listings.seller(userId);
          if (!seller) return undefined;
          const count = Number(seller.rating_count);
          return { storeName: seller.store_name, rating: count > 0 ? Number(seller.rating_sum) / count : null, reviewCount: count };
        },
      };
      return {
        api,
        async stop() {
          await stopWorker();
          await reader.close();
        },
        listeners: {
          api: {
            async open() {
              closeGraphql = await registerGraphqlEndpoint(
                ctx.http,
                services,
                { maxDepth: ctx.config.KAIF_MARKET_GRAPHQL_MAX_DEPTH, maxComplexity: ctx.config.KAIF_MARKET_GRAPHQL_MAX_COMPLEXITY },
                logger,
                { bus: ctx.bus, flood: ctx.flood, trustProxy: ctx.config.KAIF_TRUST_PROXY, messagesPerSecond: ctx.config.KAIF_CONNECTION_FRAMES_PER_SECOND },
              );
            },
            async close() {
              closeGraphql?.();
              closeGraphql = undefined;
            },
          },
          worker: {
            async open() {
              worker = new MarketWorker(saga, ctx.config.KAIF_MARKET_SAGA_POLL_MS, logger);
              worker.start();
              const deployment = await db.selectFrom('market.deployment').select('id').executeTakeFirstOrThrow();
              // Per deployment, from now on: a shared NATS carries other deployments' order events too (the handler skips orders it does not hold).
              notices = await ctx.bus.consume(`${NOTICE_CONSUMER}-${deployment.id.slice(0, 12)}`, ORDER_EVENTS, orderNoticeHandler(messaging, db), { startAt: 'new' });
            },
            close: stopWorker,
          },
        },
      };
    },
  };
}

export const marketModule: KaifModule = createMarketModule();
