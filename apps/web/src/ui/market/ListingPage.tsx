import { useState } from 'react';
import { type Route, navigate } from '../../app/router.js';
import { useSession } from '../../app/session-context.js';
import { LISTING, type Listing, type Order, type Review, formatAmount } from '../../state/market-api.js';
import { useStore } from '../../state/store.js';
import { MarketNav } from './MarketNav.js';
import { MarketPhoto } from './MarketPhoto.js';
import { NftBadge } from './NftBadge.js';
import { failureText, useMarketData, useMarketQuery } from './use-market.js';

const QUERY = `query ($id: ID!) { listing(id: $id) { ${LISTING} reviews(limit: 20) { orderId rating text reply createdAt } } }`;

/** One listing: a photo gallery, the details, the seller's standing, buying, reviews and reporting. */
export function ListingPage({ route, listingId }: { readonly route: Route; readonly listingId: string }) {
  const session = useSession();
  const state = useStore(session.state, (value) => value);
  const run = useMarketQuery();
  const { data, error } = useMarketData<{ listing: (Listing & { reviews: Review[] }) | null }>(QUERY, { id: listingId }, listingId);
  const [shown, setShown] = useState(0);
  const [quantity, setQuantity] = useState(1);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const listing = data?.listing;
  const mine = state.status === 'signed-in' && listing?.seller.id === state.me.id;

  const buy = async () => {
    setBusy(true);
    setFailure(null);
    try {
      const placed = await run<{ placeOrder: Order }>('mutation ($l: ID!, $q: Int!, $k: String!) { placeOrder(listingId: $l, quantity: $q, requestKey: $k) { id } }', {
        l: listingId,
        q: quantity,
        k: crypto.randomUUID(),
      });
      navigate({ name: 'order', orderId: placed.placeOrder.id });
    } catch (caught) {
      setFailure(failureText(caught));
    } finally {
      setBusy(false);
    }
  };
  const report = async () => {
    const reason = prompt('What is wrong with this listing?');
    if (!reason) return;
    await run('mutation ($id: ID!, $r: String!) { reportListing(id: $id, reason: $r) }', { id: listingId, r: reason }).catch((caught: unknown) => setFailure(failureText(caught)));
  };

  return (
    <section className="page" aria-label="Listing">
      <MarketNav route={route} title={listing?.title ?? 'Listing'} />
      <div className="page-body">
        {(error || (data && !listing)) && (
          <p className="notice notice-error" role="alert">
            {error ?? 'This listing does not exist or is not visible.'}
          </p>
        )}
        {listing && (
          <>
            <section className="card market-listing">
              <section className="market-gallery" aria-label="Photos">
                <MarketPhoto className="market-gallery-main" path={listing.photos[shown]?.url ?? null} alt={listing.title} />
                {listing.photos.length > 1 && (
                  <div className="market-gallery-strip">
                    {listing.photos.map((photo, index) => (
                      <button key={photo.id} type="button" className="market-gallery-thumb" aria-label={`Photo ${index + 1}`} aria-pressed={index === shown} onClick={() => setShown(index)}>
                        <MarketPhoto path={photo.thumbnailUrl} alt="" />
                      </button>
                    ))}
                  </div>
                )}
              </section>
              <div className="market-details">
                <h3>{listing.title}</h3>
                <p className="market-price">{formatAmount(listing.price, listing.asset)}</p>
                {listing.nft ? (
                  <section className="nft-details" aria-label="Token">
                    <NftBadge nft={listing.nft} linked />
                    <p>
                      {listing.nft.name && <strong>{listing.nft.name}</strong>}
                      {listing.nft.collectionName && <span className="muted"> · {listing.nft.collectionName}</span>}
                    </p>
                    {!listing.nft.image && <p className="muted">The token’s image could not be read; it is listed without one.</p>}
                    <p className="muted">{listing.stock > 0 ? 'On sale: bought, it moves on chain to your wallet' : 'Sold'}</p>
                  </section>
                ) : (
                  <p className="muted">
                    {listing.kind === 'SERVICE' ? 'Service' : 'Product'} · {listing.category} · {listing.stock > 0 ? `${listing.stock} in stock` : 'Out of stock'}
                  </p>
                )}
                {listing.status !== 'APPROVED' && (
                  <p className="notice" data-status={listing.status}>
                    {listing.status === 'PENDING' ? 'Waiting for approval' : `Rejected: ${listing.rejectionReason ?? ''}`}
                  </p>
                )}
                <p className="market-description">{listing.description}</p>
                {listing.attributes.length > 0 && (
                  <dl className="market-attributes">
                    {listing.attributes.map((attribute) => (
                      <div key={attribute.key}>
                        <dt>{attribute.key}</dt>
                        <dd>{attribute.value}</dd>
                      </div>
                    ))}
                  </dl>
                )}
                <p>
                  Sold by <strong>{listing.seller.storeName}</strong>
                  {listing.seller.rating !== null && ` · ★ ${listing.seller.rating.toFixed(1)} (${listing.seller.reviewCount} reviews)`}
                </p>
                {!mine && listing.status === 'APPROVED' && (
                  <div className="market-buy">
                    {!listing.nft && (
                      <label>
                        Quantity
                        <input type="number" min={1} max={Math.max(1, listing.stock)} value={quantity} onChange={(event) => setQuantity(Math.max(1, Number(event.target.value) || 1))} />
                      </label>
                    )}
                    <button type="button" className="button button-primary" disabled={busy || listing.stock === 0} onClick={() => void buy()}>
                      Buy now
                    </button>
                    <button type="button" className="button button-quiet" onClick={() => void report()}>
                      Report
                    </button>
                  </div>
                )}
                {failure && (
                  <p className="notice notice-error" role="alert">
                    {failure}
                  </p>
                )}
              </div>
            </section>
            <section className="card" aria-label="Reviews">
              <h3>
                Reviews {listing.rating !== null && `· ★ ${listing.rating.toFixed(1)} (${listing.reviewCount})`}
              </h3>
              {listing.reviews.length === 0 && <p className="muted">No reviews yet.</p>}
              <ul className="market-reviews">
                {listing.reviews.map((review) => (
                  <li key={review.orderId}>
                    <span className="market-stars" role="img" aria-label={`${review.rating} of 5`}>
                      {'★'.repeat(review.rating)}
                      {'☆'.repeat(5 - review.rating)}
                    </span>
                    <p>{review.text}</p>
                    {review.reply && <p className="market-reply">Seller: {review.reply}</p>}
                  </li>
                ))}
              </ul>
            </section>
          </>
        )}
      </div>
    </section>
  );
}
