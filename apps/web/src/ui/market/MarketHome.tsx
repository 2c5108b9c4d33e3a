import { useState } from 'react';
import { type Route, navigate } from '../../app/router.js';
import { type ListingCard as Card, SEARCH, type SearchResult, formatAmount, parseAmount } from '../../state/market-api.js';
import { MarketNav } from './MarketNav.js';
import { MarketPhoto } from './MarketPhoto.js';
import { NftBadge } from './NftBadge.js';
import { useMarketData } from './use-market.js';

const SORTS = [
  ['RELEVANCE', 'Best match'],
  ['NEWEST', 'Newest'],
  ['PRICE_ASC', 'Price: low to high'],
  ['PRICE_DESC', 'Price: high to low'],
  ['RATING', 'Rating'],
] as const;

interface Filters {
  readonly text: string;
  readonly category: string | null;
  readonly minPrice: string;
  readonly maxPrice: string;
  readonly inStock: boolean;
  readonly minRating: number | null;
  readonly attributes: readonly { readonly key: string; readonly value: string }[];
  readonly sort: string;
}

const EMPTY: Filters = { text: '', category: null, minPrice: '', maxPrice: '', inStock: false, minRating: null, attributes: [], sort: 'RELEVANCE' };

/** Browse and search: words, facets to click (with their counts), sorting, and a grid of listings. */
export function MarketHome({ route }: { readonly route: Route }) {
  const [typed, setTyped] = useState('');
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const minPrice = filters.minPrice ? parseAmount(filters.minPrice, 'ETH') : null;
  const maxPrice = filters.maxPrice ? parseAmount(filters.maxPrice, 'ETH') : null;
  const input = {
    ...(filters.text ? { text: filters.text } : {}),
    ...(filters.category ? { category: filters.category } : {}),
    ...(minPrice || maxPrice ? { asset: 'ETH', ...(minPrice ? { minPrice } : {}), ...(maxPrice ? { maxPrice } : {}) } : {}),
    ...(filters.inStock ? { inStock: true } : {}),
    ...(filters.minRating ? { minRating: filters.minRating } : {}),
    ...(filters.attributes.length > 0 ? { attributes: filters.attributes } : {}),
    sort: filters.sort,
    limit: 24,
  };
  const { data, error } = useMarketData<{ search: SearchResult }>(SEARCH, { input }, JSON.stringify(input));
  const set = (change: Partial<Filters>) => setFilters((current) => ({ ...current, ...change }));
  const toggleAttribute = (key: string, value: string) =>
    set({
      attributes: filters.attributes.some((item) => item.key === key && item.value === value)
        ? filters.attributes.filter((item) => !(item.key === key && item.value === value))
        : [...filters.attributes, { key, value }],
    });
  const result = data?.search;

  return (
    <section className="page" aria-label="Marketplace">
      <MarketNav route={route} title="Marketplace" />
      <div className="market-body">
        <form
          className="market-search"
          aria-label="Search"
          onSubmit={(event) => {
            event.preventDefault();
            set({ text: typed.trim() });
          }}
        >
          <input type="search" aria-label="Search the marketplace" placeholder="Search products and services" value={typed} onChange={(event) => setTyped(event.target.value)} />
          <button type="submit" className="button button-primary">
            Search
          </button>
          <label className="market-sort">
            Sort
            <select aria-label="Sort by" value={filters.sort} onChange={(event) => set({ sort: event.target.value })}>
              {SORTS.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
        </form>
        <div className="market-columns">
          <aside className="market-facets" aria-label="Filters">
            <h3>Category</h3>
            <ul>
              <li>
                <button type="button" className="facet" aria-pressed={filters.category === null} onClick={() => set({ category: null })}>
                  All
                </button>
              </li>
              {result?.facets.categories.map((facet) => (
                <li key={facet.value}>
                  <button type="button" className="facet" aria-pressed={filters.category === facet.value} onClick={() => set({ category: filters.category === facet.value ? null : facet.value })}>
                    {facet.value} <span className="facet-count">{facet.count}</span>
                  </button>
                </li>
              ))}
            </ul>
            <h3>Price (ETH)</h3>
            <div className="facet-range">
              <input aria-label="Lowest price" inputMode="decimal" placeholder="from" value={filters.minPrice} onChange={(event) => set({ minPrice: event.target.value })} />
              <input aria-label="Highest price" inputMode="decimal" placeholder="to" value={filters.maxPrice} onChange={(event) => set({ maxPrice: event.target.value })} />
            </div>
            <ul>
              {result?.facets.prices.map((bucket) => (
                <li key={`${bucket.asset}-${bucket.from}`} className="facet-line">
                  {formatAmount(bucket.from, bucket.asset)} – {formatAmount(bucket.to, bucket.asset)} <span className="facet-count">{bucket.count}</span>
                </li>
              ))}
            </ul>
            <h3>Rating</h3>
            <ul>
              {result?.facets.ratings.map((facet) => (
                <li key={facet.atLeast}>
                  <button type="button" className="facet" aria-pressed={filters.minRating === facet.atLeast} onClick={() => set({ minRating: filters.minRating === facet.atLeast ? null : facet.atLeast })}>
                    {'★'.repeat(facet.atLeast)} & up <span className="facet-count">{facet.count}</span>
                  </button>
                </li>
              ))}
            </ul>
            <label className="facet-check">
              <input type="checkbox" checked={filters.inStock} onChange={(event) => set({ inStock: event.target.checked })} /> In stock only{' '}
              <span className="facet-count">{result?.facets.inStock ?? ''}</span>
            </label>
            {result?.facets.attributes.map((attribute) => (
              <div key={attribute.key}>
                <h3>{attribute.key}</h3>
                <ul>
                  {attribute.values.map((facet) => (
                    <li key={facet.value}>
                      <button
                        type="button"
                        className="facet"
                        aria-pressed={filters.attributes.some((item) => item.key === attribute.key && item.value === facet.value)}
                        onClick={() => toggleAttribute(attribute.key, facet.value)}
                      >
                        {facet.value} <span className="facet-count">{facet.count}</span>
                      </button>
                    </li>
                  ))}
                </ul>
              </div>
            ))}
          </aside>
          <div className="market-results">
            {error && (
              <p className="notice notice-error" role="alert">
                {error}
              </p>
            )}
            {result && (
              <p className="muted" aria-live="polite">
                {result.total} {result.total === 1 ? 'listing' : 'listings'}
              </p>
            )}
            <ul className="market-grid" aria-label="Listings">
              {result?.listings.map((listing) => (
                <li key={listing.id}>
                  <ListingCard listing={listing} />
                </li>
              ))}
            </ul>
          </div>
        </div>
      </div>
    </section>
  );
}

/** A listing in a grid; an NFT shows its badge (chain, contract, token) and, on a collection page, the token's name as `subtitle`. */
export function ListingCard({ listing, subtitle }: { readonly listing: Card; readonly subtitle?: string }) {
  return (
    <button type="button" className="market-card" onClick={() => navigate({ name: 'listing', listingId: listing.id })} aria-label={listing.title}>
      <MarketPhoto path={listing.photos[0]?.thumbnailUrl ?? null} alt="" />
      {listing.nft && <NftBadge nft={listing.nft} />}
      <span className="market-card-title">{listing.title}</span>
      {subtitle && <span className="muted">{subtitle}</span>}
      <span className="market-card-price">{formatAmount(listing.price, listing.asset)}</span>
      <span className="muted">
        {listing.rating === null ? 'No reviews yet' : `★ ${listing.rating.toFixed(1)} (${listing.reviewCount})`} · {listing.nft ? (listing.stock > 0 ? 'On sale' : 'Sold') : listing.stock > 0 ? `${listing.stock} in stock` : 'Out of stock'}
      </span>
    </button>
  );
}
