import { useState } from 'react';
import type { Route } from '../../app/router.js';
import { type ListingCard as Card, LISTING_CARD, type NftToken } from '../../state/market-api.js';
import { ListingCard } from './MarketHome.js';
import { MarketNav } from './MarketNav.js';
import { shortAddress } from './NftBadge.js';
import { failureText, useMarketData, useMarketQuery } from './use-market.js';

const PAGE = 24;
const QUERY = `query ($chain: String!, $contract: String!, $after: String) { nftCollection(chain: $chain, contract: $contract, limit: ${PAGE}, after: $after) {
  name symbol nextCursor listings { ${LISTING_CARD} nft { chain contract tokenId name image { id url thumbnailUrl } } } } }`;

type CollectionCard = Card & { readonly nft: Pick<NftToken, 'chain' | 'contract' | 'tokenId' | 'name' | 'image'> };

interface CollectionData {
  readonly nftCollection: { readonly name: string | null; readonly symbol: string | null; readonly nextCursor: string | null; readonly listings: readonly CollectionCard[] };
}

/** One ERC-721 contract's tokens on sale: a grid with each token's image and price, more on request. */
export function CollectionPage({ route, chain, contract }: { readonly route: Route; readonly chain: string; readonly contract: string }) {
  const run = useMarketQuery();
  const { data, error } = useMarketData<CollectionData>(QUERY, { chain, contract }, `${chain}/${contract}`);
  const [more, setMore] = useState<{ listings: readonly CollectionCard[]; nextCursor: string | null } | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const collection = data?.nftCollection;
  const listings = [...(collection?.listings ?? []), ...(more?.listings ?? [])];
  const nextCursor = more ? more.nextCursor : (collection?.nextCursor ?? null);
  const title = collection?.name ? `${collection.name}${collection.symbol ? ` (${collection.symbol})` : ''}` : `Collection ${shortAddress(contract)}`;

  const loadMore = async () => {
    try {
      const page = await run<CollectionData>(QUERY, { chain, contract, after: nextCursor });
      setMore((current) => ({ listings: [...(current?.listings ?? []), ...page.nftCollection.listings], nextCursor: page.nftCollection.nextCursor }));
    } catch (caught) {
      setFailure(failureText(caught));
    }
  };

  return (
    <section className="page" aria-label="Collection">
      <MarketNav route={route} title={title} />
      <div className="page-body">
        {(error || failure) && (
          <p className="notice notice-error" role="alert">
            {error ?? failure}
          </p>
        )}
        <section className="card nft-collection-head">
          <p className="muted">
            ERC-721 on {chain} · <code title={contract}>{contract}</code>
          </p>
        </section>
        {collection && listings.length === 0 && <p className="muted">No token of this collection is on sale.</p>}
        <ul className="market-grid" aria-label="Tokens">
          {listings.map((listing) => (
            <li key={listing.id}>
              <ListingCard listing={{ ...listing, photos: listing.nft.image ? [listing.nft.image] : listing.photos }} subtitle={listing.nft.name && listing.nft.name !== listing.title ? listing.nft.name : undefined} />
            </li>
          ))}
        </ul>
        {nextCursor && (
          <button type="button" className="button" onClick={() => void loadMore()}>
            Show more
          </button>
        )}
      </div>
    </section>
  );
}
